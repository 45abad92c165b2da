/** The sign-up metadata rules: what `user_metadata` must hold before Supabase Auth creates a user. */
import { z } from "zod";

const SUPPORTED_TIME_ZONES = new Set(Intl.supportedValuesOf("timeZone"));

/**
 * A real IANA time zone name: listed by Intl, or accepted by Intl.DateTimeFormat and shaped like a
 * name (`UTC`, `Etc/GMT+1`, `US/Eastern`), which rules out offsets such as `+01:00` and odd casing.
 */
export function isTimeZone(name: string): boolean {
  if (SUPPORTED_TIME_ZONES.has(name)) return true;
  if (!/^[A-Z][A-Za-z_]*(\/[A-Z][A-Za-z0-9_+-]*)*$/.test(name)) return false;
  try {
    new Intl.DateTimeFormat("en", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/**
 * Whitespace of every kind at the ends, as the database's private.clean_text trims it: Unicode
 * spaces and line breaks, zero-width and direction marks, the byte order mark.
 */
const BLANK_ENDS =
  /^[\s\u0085\u00a0\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u2064\u3000\ufeff]+|[\s\u0085\u00a0\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u2064\u3000\ufeff]+$/g;
export const cleanText = (value: string) => value.replace(BLANK_ENDS, "");

/** Characters as the database counts them (code points, not UTF-16 units: an emoji is one). */
const characters = (value: string) => [...value].length;

const text = (max: number) =>
  z.string({ invalid_type_error: "must be text" }).transform(cleanText)
    .refine((value) => characters(value) <= max, `must be at most ${max} characters`);

export const userMetadataSchema = z.object({
  display_name: z.string({ required_error: "is required", invalid_type_error: "must be text" })
    .transform(cleanText)
    .refine((value) => characters(value) >= 1, "must not be empty")
    .refine((value) => characters(value) <= 80, "must be at most 80 characters"),
  company: text(120).nullish(),
  title: text(120).nullish(),
  timezone: z.string({ invalid_type_error: "must be text" })
    .refine(isTimeZone, "must be an IANA time zone name such as Europe/Amsterdam")
    .nullish(),
}).passthrough();

export type UserMetadata = z.infer<typeof userMetadataSchema>;

/** `undefined` when the metadata is valid, otherwise one readable line naming each bad field. */
export function metadataProblems(metadata: unknown): string | undefined {
  const result = userMetadataSchema.safeParse(metadata ?? {});
  if (result.success) return undefined;
  const problems = result.error.issues.map((issue) => `${issue.path.join(".") || "user_metadata"} ${issue.message}`);
  return `Invalid sign-up details: ${problems.join("; ")}`;
}
