/**
 * /unsubscribe/<token>: the List-Unsubscribe target of every notification email (RFC 8058).
 * - POST (the mail client's one-click `List-Unsubscribe=One-Click`, or the confirmation page's form)
 *   turns email off for the token's kind (private.unsubscribe_email: other channels unchanged, that
 *   kind's queued emails cancelled) and answers a small HTML page.
 * - GET (a person following the link; also link scanners, so it changes nothing) answers a page with
 *   a button that POSTs.
 * The token is signed and expires (../_shared/unsubscribe-token.ts); a bad or expired one is a 400
 * `invalid_input` page. Pages are in the user's language (nl, en, pt).
 */
import { asCaller } from "../_shared/db.ts";
import { ApiError } from "../_shared/errors.ts";
import { handle, requireMethod } from "../_shared/http.ts";
import { type UnsubscribeClaims, verifyUnsubscribeToken } from "../_shared/unsubscribe-token.ts";
import { escapeHtml, type Lang, language } from "../dispatch-notifications/templates.ts";

const PATH = /^(?:\/functions\/v1)?\/unsubscribe\/([A-Za-z0-9_.-]{1,400})\/?$/;
const SERVICE = { role: "service_role" as const, iss: "supabase" };

const KIND_LABELS: Record<Lang, Record<string, string>> = {
  en: {
    session_reminder: "session reminders", booking_confirmed: "booking confirmations", booking_promoted: "waitlist seats",
    session_rescheduled: "new session times", session_cancelled: "cancelled sessions", direct_message: "direct message digests",
    coach_application_decided: "coach application decisions",
    one_to_one_booked: "new appointments", announcement: "announcements", support_ticket_reply: "support replies",
    support_ticket_status: "support ticket updates", support_ticket_assigned: "support ticket assignments", support_ticket_opened: "new support tickets",
  },
  nl: {
    session_reminder: "sessieherinneringen", booking_confirmed: "boekingsbevestigingen", booking_promoted: "plekken van de wachtlijst",
    session_rescheduled: "nieuwe sessietijden", session_cancelled: "geannuleerde sessies", direct_message: "samenvattingen van berichten",
    coach_application_decided: "besluiten over coachaanvragen",
    one_to_one_booked: "nieuwe afspraken", announcement: "aankondigingen", support_ticket_reply: "antwoorden van support",
    support_ticket_status: "updates van supporttickets", support_ticket_assigned: "toewijzingen van supporttickets", support_ticket_opened: "nieuwe supporttickets",
  },
  pt: {
    session_reminder: "lembretes de sessão", booking_confirmed: "confirmações de reserva", booking_promoted: "vagas da lista de espera",
    session_rescheduled: "novos horários de sessão", session_cancelled: "sessões canceladas", direct_message: "resumos de mensagens",
    coach_application_decided: "decisões sobre candidaturas de coach",
    one_to_one_booked: "novos agendamentos", announcement: "anúncios", support_ticket_reply: "respostas do suporte",
    support_ticket_status: "atualizações de chamados de suporte", support_ticket_assigned: "atribuições de chamados de suporte", support_ticket_opened: "novos chamados de suporte",
  },
};

const TEXT: Record<Lang, { ask: string; button: string; done: string; again: string; invalid: string }> = {
  en: {
    ask: "Stop emails about {kind}?", button: "Unsubscribe", done: "You will no longer get emails about {kind}.",
    again: "You can turn them on again in your notification preferences.", invalid: "This link is not valid or has expired.",
  },
  nl: {
    ask: "Geen e-mails meer over {kind}?", button: "Afmelden", done: "Je krijgt geen e-mails meer over {kind}.",
    again: "Je kunt ze weer aanzetten in je meldingsvoorkeuren.", invalid: "Deze link is ongeldig of verlopen.",
  },
  pt: {
    ask: "Parar de receber e-mails sobre {kind}?", button: "Cancelar inscrição",
    done: "Você não receberá mais e-mails sobre {kind}.", again: "Você pode reativá-los nas suas preferências de notificação.",
    invalid: "Este link não é válido ou expirou.",
  },
};

function page(lang: Lang, title: string, body: string, status = 200): Response {
  const html = `<!doctype html><html lang="${lang}"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title>` +
    `<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;line-height:1.5}` +
    `button{padding:.6rem 1.2rem;font-size:1rem}</style></head><body>${body}</body></html>`;
  return new Response(html, {
    status,
    headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" },
  });
}

async function localeOf(userId: string): Promise<Lang> {
  const rows = await asCaller(SERVICE, (tx) => tx<{ locale: string }[]>`select locale from public.profiles where id = ${userId}`);
  return language(rows[0]?.locale);
}

export const handler = handle(async (req) => {
  requireMethod(req, "GET", "HEAD", "POST");
  const token = PATH.exec(new URL(req.url).pathname)?.[1];
  if (!token) throw new ApiError("not_found", "No such unsubscribe link");
  let claims: UnsubscribeClaims;
  try {
    claims = await verifyUnsubscribeToken(token);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    const t = TEXT.en;
    return page("en", t.invalid, `<p>${escapeHtml(t.invalid)}</p><p>${escapeHtml(TEXT.nl.invalid)}</p>` +
      `<p>${escapeHtml(TEXT.pt.invalid)}</p>`, err.status);
  }
  const lang = await localeOf(claims.userId);
  const t = TEXT[lang];
  const kind = KIND_LABELS[lang][claims.kind] ?? claims.kind;
  if (req.method === "POST") {
    const [{ done }] = await asCaller(SERVICE, (tx) =>
      tx<{ done: boolean }[]>`select private.unsubscribe_email(${claims.userId}, ${claims.kind}) as done`
    );
    if (!done) throw new ApiError("not_found", "This account no longer exists");
    const text = t.done.replace("{kind}", kind);
    return page(lang, text, `<p>${escapeHtml(text)}</p><p>${escapeHtml(t.again)}</p>`);
  }
  const ask = t.ask.replace("{kind}", kind);
  // The form posts to this same URL (form-action 'self').
  return page(lang, ask, `<p>${escapeHtml(ask)}</p><form method="post">` +
    `<input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">${escapeHtml(t.button)}</button></form>`);
});
