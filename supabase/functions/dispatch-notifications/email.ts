/**
 * Email transports of the dispatcher: Resend's HTTP API when `RESEND_API_KEY` is set (production Edge
 * Functions cannot open SMTP ports 25/587), else SMTP with nodemailer (`SMTP_URL`, e.g.
 * smtp://127.0.0.1:54325 for the local catcher). Each send returns an outcome the outbox records:
 * sent, retry (transient: connection errors, 4xx SMTP replies, HTTP 429/5xx) or failed (permanent:
 * 5xx SMTP replies, other HTTP 4xx); a recipient refused for good is reported as a bounce.
 *
 * Idempotency: the delivery id is Resend's `Idempotency-Key` (a resend after a crash between sending
 * and recording is not delivered twice) and the SMTP `Message-ID` (<delivery id>@live-sessions), so a
 * receiver can recognize a duplicate; SMTP itself has no idempotency.
 */
import nodemailer from "nodemailer";

export interface OutgoingEmail {
  deliveryId: string;
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
  attachments: { filename: string; content: string; contentType: string }[];
}

export type SendOutcome =
  | { outcome: "sent"; providerMessageId: string | null }
  | { outcome: "retry"; error: string; retryAfterSeconds?: number }
  | { outcome: "failed"; error: string; bounce?: boolean };

export interface EmailTransport {
  name: "smtp" | "resend";
  send(mail: OutgoingEmail): Promise<SendOutcome>;
  close(): void;
}

export function messageId(deliveryId: string): string {
  return `<${deliveryId}@live-sessions>`;
}

/** The configured transport, or null when neither RESEND_API_KEY nor SMTP_URL is set. */
export function emailTransport(): EmailTransport | null {
  const resendKey = Deno.env.get("RESEND_API_KEY");
  if (resendKey) return resendTransport(resendKey, Deno.env.get("RESEND_API_URL") || "https://api.resend.com");
  const smtpUrl = Deno.env.get("SMTP_URL");
  if (smtpUrl) return smtpTransport(smtpUrl);
  return null;
}

function short(text: string): string {
  return text.replace(/\s+/g, " ").slice(0, 500);
}

// --- SMTP ---------------------------------------------------------------------------------------

interface SmtpError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
  command?: string;
}

export function smtpTransport(url: string): EmailTransport {
  const timeout = Number(Deno.env.get("SMTP_TIMEOUT_MS") ?? 10_000);
  const transporter = nodemailer.createTransport(url, {
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout * 2,
  } as Record<string, unknown>);
  return {
    name: "smtp",
    async send(mail) {
      try {
        const info = await transporter.sendMail({
          from: mail.from,
          to: mail.to,
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
          messageId: messageId(mail.deliveryId),
          headers: mail.headers,
          attachments: mail.attachments.map((a) => ({ filename: a.filename, content: a.content, contentType: a.contentType })),
        });
        return { outcome: "sent", providerMessageId: info.messageId ?? messageId(mail.deliveryId) };
      } catch (err) {
        const e = err as SmtpError;
        const detail = short(`${e.code ?? "error"} ${e.responseCode ?? ""} ${e.response ?? e.message}`);
        if (typeof e.responseCode === "number" && e.responseCode >= 500 && e.responseCode < 600) {
          // A permanent refusal of the recipient (RCPT TO) is a hard bounce of that address.
          return { outcome: "failed", error: detail, bounce: e.code === "EENVELOPE" || e.command === "RCPT TO" };
        }
        return { outcome: "retry", error: detail };
      }
    },
    close() {
      transporter.close();
    },
  };
}

// --- Resend -------------------------------------------------------------------------------------

function base64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

export function resendTransport(apiKey: string, baseUrl: string): EmailTransport {
  return {
    name: "resend",
    async send(mail) {
      let res: Response;
      try {
        res = await fetch(`${baseUrl.replace(/\/+$/, "")}/emails`, {
          method: "POST",
          headers: {
            "Authorization": `Bearer ${apiKey}`,
            "Content-Type": "application/json",
            "Idempotency-Key": mail.deliveryId,
          },
          body: JSON.stringify({
            from: mail.from,
            to: [mail.to],
            subject: mail.subject,
            text: mail.text,
            html: mail.html,
            headers: mail.headers,
            attachments: mail.attachments.map((a) => ({
              filename: a.filename,
              content: base64(a.content),
              content_type: a.contentType,
            })),
          }),
          signal: AbortSignal.timeout(Number(Deno.env.get("RESEND_TIMEOUT_MS") ?? 10_000)),
        });
      } catch (err) {
        return { outcome: "retry", error: short(`resend unreachable: ${(err as Error).message}`) };
      }
      const text = await res.text();
      if (res.ok) {
        let id: string | null = null;
        try {
          id = JSON.parse(text).id ?? null;
        } catch { /* an answer without an id is still a success */ }
        return { outcome: "sent", providerMessageId: id };
      }
      const detail = short(`resend ${res.status} ${text}`);
      // The key was already used with a different body (the session changed between two attempts):
      // Resend sent that first email, so this delivery is done.
      if (res.status === 409 && text.includes("invalid_idempotent_request")) {
        return { outcome: "sent", providerMessageId: null };
      }
      if (res.status === 429 || res.status >= 500 || res.status === 409) {
        const after = Number(res.headers.get("Retry-After"));
        return { outcome: "retry", error: detail, retryAfterSeconds: Number.isFinite(after) && after > 0 ? after : undefined };
      }
      return { outcome: "failed", error: detail };
    },
    close() {},
  };
}
