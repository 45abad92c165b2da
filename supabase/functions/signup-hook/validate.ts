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

const text = (max: number) =>
  z.string({ invalid_type_error: "must be text" }).trim().max(max, `must be at most ${max} characters`);

export const userMetadataSchema = z.object({
  display_name: z.string({ required_error: "is required", invalid_type_error: "must be text" })
    .trim()
    .min(1, "must not be empty")
    .max(80, "must be at most 80 characters"),
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
