/**
 * Notification texts in the recipient's language (en, nl, pt; anything else falls back to en) and
 * time zone: subject, plain text and HTML of an email, and the title/body of a push. Times are the
 * recipient's wall-clock time with the zone name and the abbreviation in force (as the in-app
 * reminders show them: "... 10:00 Europe/Amsterdam (CEST)"). Kinds without a template use the
 * notification's own title and body. One-to-one appointments are not worded here: their texts come with the
 * delivery's context from the database (private.appointment_notice in 33_appointment_wording.sql, the one
 * definition, also used for their in-app notices), rendered at send time for the reader's side and language.
 */

export type Lang = "en" | "nl" | "pt";

export interface MessageContext {
  kind: string;
  payload: { title?: string; body?: string | null; link?: string | null; data?: Record<string, unknown> };
  locale: string;
  timezone: string;
  displayName: string | null;
  session: {
    title: string;
    startsAt: Date;
    status: string;
    cancelReason: string | null;
    zoneAbbreviation: string | null;
    bookingStatus: string | null;
    /** session_rescheduled: the zone abbreviation at data.previous_starts_at (from the database). */
    previousZoneAbbreviation?: string | null;
    /** group or one_to_one: a one-to-one booking_confirmed names the coach instead of a seat. */
    kind?: string | null;
    /** The session's (first) host: a one-to-one appointment's coach. */
    hostName?: string | null;
    /** A one-to-one appointment's notice for this reader, from the database (private.appointment_notice: the one
     * definition of appointment wording, en/nl/pt, the reader's zone, written the same way in-app): used as is. */
    notice?: { title: string; body: string | null } | null;
  } | null;
  /** Absolute URL of the thing to open (the session page). */
  url: string | null;
  /** One-click unsubscribe URL (emails only). */
  unsubscribeUrl?: string;
}

export interface RenderedMessage {
  subject: string;
  /** Paragraphs of the body, plain text. */
  lines: string[];
  /** Label of the call to action next to `url`. */
  action: string | null;
  lang: Lang;
}

export function language(locale: string | null | undefined): Lang {
  const base = (locale ?? "").toLowerCase().split("-")[0];
  return base === "nl" || base === "pt" ? base : "en";
}

const INTL_LOCALE: Record<Lang, string> = { en: "en-GB", nl: "nl-NL", pt: "pt-BR" };

/** "Sat 24 Oct 2026, 10:00 Europe/Amsterdam (CEST)" in the reader's language. */
export function localTime(instant: Date, timezone: string, lang: Lang, abbreviation: string | null): string {
  let zone = timezone;
  let text: string;
  try {
    text = new Intl.DateTimeFormat(INTL_LOCALE[lang], {
      timeZone: timezone, weekday: "short", day: "numeric", month: "short", year: "numeric",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    }).format(instant);
  } catch {
    zone = "UTC";
    text = new Intl.DateTimeFormat(INTL_LOCALE[lang], {
      timeZone: "UTC", weekday: "short", day: "numeric", month: "short", year: "numeric",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    }).format(instant);
  }
  const abbrev = abbreviation && abbreviation.toUpperCase() !== zone.toUpperCase() ? ` (${abbreviation})` : "";
  return `${text} ${zone}${abbrev}`;
}

type Strings = {
  reminder: [subject: string, line: string];
  waitlisted: string;
  booking_confirmed: [string, string];
  booking_promoted: [string, string];
  session_rescheduled: [string, string];
  /** session_rescheduled when data.previous_starts_at is known: {from} and {when}. */
  moved: string;
  session_cancelled: [string, string];
  reason: string;
  coach_approved: string;
  coach_declined: string;
  open: string;
  join: string;
  footer: string;
  unsubscribe: string;
  greeting: string;
  digest: [one: string, many: string];
  digest_group: string;
  read: string;
};

// {title} and {when} are filled in; every value is plain text (HTML is escaped when rendered).
const STRINGS: Record<Lang, Strings> = {
  en: {
    reminder: ["Reminder: {title} starts {when}", "{title} starts {when}."],
    waitlisted: "You are on the waitlist.",
    booking_confirmed: ["Booking confirmed: {title}", "You have a seat for {title}, {when}."],
    booking_promoted: ["You have a seat: {title}", "A seat freed up: your booking for {title} ({when}) is confirmed."],
    session_rescheduled: ["New time: {title}", "{title} now starts {when}."],
    moved: "{title} has moved from {from} to {when}.",
    session_cancelled: ["Cancelled: {title}", "{title} ({when}) has been cancelled."],
    reason: "Reason: {reason}",
    coach_approved: "Your coach application was approved",
    coach_declined: "Your coach application was declined",
    open: "Open",
    join: "Join the session",
    footer: "You get this email because these notifications are on in your preferences.",
    unsubscribe: "Unsubscribe from these emails",
    greeting: "Hello {name},",
    digest: ["1 unread message from {names}", "{count} unread messages from {names}"],
    digest_group: "in {title}",
    read: "Read and reply",
  },
  nl: {
    reminder: ["Herinnering: {title} begint {when}", "{title} begint {when}."],
    waitlisted: "Je staat op de wachtlijst.",
    booking_confirmed: ["Boeking bevestigd: {title}", "Je hebt een plek voor {title}, {when}."],
    booking_promoted: ["Je hebt een plek: {title}", "Er kwam een plek vrij: je boeking voor {title} ({when}) is bevestigd."],
    session_rescheduled: ["Nieuwe tijd: {title}", "{title} begint nu {when}."],
    moved: "{title} is verplaatst van {from} naar {when}.",
    session_cancelled: ["Geannuleerd: {title}", "{title} ({when}) is geannuleerd."],
    reason: "Reden: {reason}",
    coach_approved: "Je aanvraag als coach is goedgekeurd",
    coach_declined: "Je aanvraag als coach is afgewezen",
    open: "Openen",
    join: "Deelnemen aan de sessie",
    footer: "Je krijgt deze e-mail omdat deze meldingen aan staan in je voorkeuren.",
    unsubscribe: "Afmelden voor deze e-mails",
    greeting: "Hallo {name},",
    digest: ["1 ongelezen bericht van {names}", "{count} ongelezen berichten van {names}"],
    digest_group: "in {title}",
    read: "Lezen en antwoorden",
  },
  pt: {
    reminder: ["Lembrete: {title} começa {when}", "{title} começa {when}."],
    waitlisted: "Você está na lista de espera.",
    booking_confirmed: ["Reserva confirmada: {title}", "Você tem um lugar em {title}, {when}."],
    booking_promoted: ["Você tem um lugar: {title}", "Uma vaga foi liberada: sua reserva para {title} ({when}) está confirmada."],
    session_rescheduled: ["Novo horário: {title}", "{title} agora começa {when}."],
    moved: "{title} foi remarcada de {from} para {when}.",
    session_cancelled: ["Cancelada: {title}", "{title} ({when}) foi cancelada."],
    reason: "Motivo: {reason}",
    coach_approved: "Sua candidatura como coach foi aprovada",
    coach_declined: "Sua candidatura como coach foi recusada",
    open: "Abrir",
    join: "Entrar na sessão",
    footer: "Você recebe este e-mail porque estas notificações estão ativadas nas suas preferências.",
    unsubscribe: "Cancelar o recebimento destes e-mails",
    greeting: "Olá {name},",
    digest: ["1 mensagem não lida de {names}", "{count} mensagens não lidas de {names}"],
    digest_group: "em {title}",
    read: "Ler e responder",
  },
};

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, key) => values[key] ?? "");
}

export function strings(lang: Lang): Strings {
  return STRINGS[lang];
}

/** Subject, body lines and call to action of a notification for its recipient. */
export function renderMessage(ctx: MessageContext): RenderedMessage {
  const lang = language(ctx.locale);
  const t = STRINGS[lang];
  const s = ctx.session;
  const fallback: RenderedMessage = {
    subject: ctx.payload.title ?? ctx.kind,
    lines: ctx.payload.body ? [ctx.payload.body] : [],
    action: ctx.url ? t.open : null,
    lang,
  };
  if (ctx.kind === "coach_application_decided") {
    const approved = ctx.payload.data?.status === "approved";
    return { ...fallback, subject: approved ? t.coach_approved : t.coach_declined };
  }
  if (ctx.kind === "direct_message" && ctx.payload.data?.digest) {
    const data = ctx.payload.data as {
      unread_count?: number;
      conversation_title?: string | null;
      messages?: { from: string; body: string }[];
    };
    const messages = data.messages ?? [];
    const names = [...new Set(messages.map((m) => m.from))].join(", ");
    const count = data.unread_count ?? messages.length;
    const subject = fill(count === 1 ? t.digest[0] : t.digest[1], { count: String(count), names }) +
      (data.conversation_title ? ` ${fill(t.digest_group, { title: data.conversation_title })}` : "");
    return { subject, lines: messages.map((m) => `${m.from}: ${m.body}`), action: ctx.url ? t.read : null, lang };
  }
  if (!s) return fallback;
  // One-to-one appointments: the database's wording for this reader (patient: "your appointment with <coach>",
  // coach: "an appointment with a patient"), never built from the title.
  if (s.notice?.title) {
    return {
      subject: s.notice.title,
      lines: s.notice.body ? [s.notice.body] : [],
      action: ctx.url ? (ctx.kind === "session_cancelled" ? t.open : t.join) : null,
      lang,
    };
  }
  const values = {
    title: s.title,
    when: localTime(s.startsAt, ctx.timezone, lang, s.zoneAbbreviation),
  };
  const pair = ctx.kind === "session_reminder"
    ? t.reminder
    : (ctx.kind === "booking_confirmed" || ctx.kind === "booking_promoted" || ctx.kind === "session_rescheduled" ||
        ctx.kind === "session_cancelled")
    ? t[ctx.kind]
    : undefined;
  if (!pair) return fallback;
  const previous = ctx.kind === "session_rescheduled" ? previousStart(ctx.payload.data, s.startsAt) : null;
  const lines = [
    previous
      ? fill(t.moved, {
        ...values,
        from: localTime(previous, ctx.timezone, lang, s.previousZoneAbbreviation ?? null),
      })
      : fill(pair[1], values),
  ];
  if (ctx.kind === "session_reminder" && s.bookingStatus === "waitlisted") lines.push(t.waitlisted);
  if (ctx.kind === "session_cancelled" && s.cancelReason) lines.push(fill(t.reason, { reason: s.cancelReason }));
  return {
    subject: fill(pair[0], values),
    lines,
    action: ctx.url ? (ctx.kind === "session_cancelled" ? t.open : t.join) : null,
    lang,
  };
}

/** data.previous_starts_at of a reschedule, when it is a valid instant other than the new start. */
function previousStart(data: Record<string, unknown> | undefined, startsAt: Date): Date | null {
  const value = data?.previous_starts_at;
  if (typeof value !== "string") return null;
  const previous = new Date(value);
  return Number.isNaN(previous.getTime()) || previous.getTime() === startsAt.getTime() ? null : previous;
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** Plain text and HTML bodies of an email. */
export function emailBodies(ctx: MessageContext, msg: RenderedMessage): { text: string; html: string } {
  const t = STRINGS[msg.lang];
  const greeting = ctx.displayName ? fill(t.greeting, { name: ctx.displayName }) : null;
  const textParts = [greeting, ...msg.lines, ctx.url && msg.action ? `${msg.action}: ${ctx.url}` : null, "--",
    t.footer, ctx.unsubscribeUrl ? `${t.unsubscribe}: ${ctx.unsubscribeUrl}` : null];
  const text = textParts.filter((p): p is string => p !== null).join("\n\n") + "\n";
  const button = ctx.url && msg.action
    ? `<p><a href="${escapeHtml(ctx.url)}" style="display:inline-block;padding:10px 16px;background:#1f6feb;color:#fff;` +
      `text-decoration:none;border-radius:6px">${escapeHtml(msg.action)}</a></p>`
    : "";
  const html = `<!doctype html><html lang="${msg.lang}"><head><meta charset="utf-8"><title>${escapeHtml(msg.subject)}` +
    `</title></head><body style="font-family:system-ui,sans-serif;line-height:1.5;color:#1f2328">` +
    (greeting ? `<p>${escapeHtml(greeting)}</p>` : "") +
    msg.lines.map((l) => `<p>${escapeHtml(l)}</p>`).join("") + button +
    `<hr><p style="font-size:12px;color:#59636e">${escapeHtml(t.footer)}` +
    (ctx.unsubscribeUrl ? ` <a href="${escapeHtml(ctx.unsubscribeUrl)}">${escapeHtml(t.unsubscribe)}</a>` : "") +
    `</p></body></html>`;
  return { text, html };
}
