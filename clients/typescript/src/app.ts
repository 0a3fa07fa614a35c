// A few calls a mobile or web app makes, written against the types openapi-typescript
// generates from ../../openapi/openapi.json (generated/openapi.d.ts, not committed). Only
// type-checked (`npm run check`: tsc --strict --noEmit); tests/test_typescript_client.py
// runs it, so a change of the document that breaks an app's code fails the suite.
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "../generated/openapi";

type Schemas = components["schemas"];
export type Problem = Schemas["Problem"];
export type Notification = Schemas["NotificationPage"]["items"][number];

export function jobTinder(baseUrl: string, token?: string) {
  const client = createClient<paths>({ baseUrl });
  if (token !== undefined) {
    const auth: Middleware = {
      onRequest({ request }) {
        request.headers.set("Authorization", `Bearer ${token}`);
        return request;
      },
    };
    client.use(auth);
  }
  return client;
}
type JobTinder = ReturnType<typeof jobTinder>;

// --- Accounts: JSON registration, then the OAuth2 password form --------------------------

export async function register(api: JobTinder, email: string, password: string): Promise<number> {
  const { data, error } = await api.POST("/api/v1/auth/register", {
    body: { email, password, name: "Fatima El Amrani", side: "teacher" },
  });
  if (error) {
    // A typed problem body: branch on its stable code, not on the (translated) prose.
    if (error.code === "email_taken") throw new Error("this address already has an account");
    throw new Error(`${error.status} ${error.code}: ${error.detail}`);
  }
  const id: number = data.id;
  const side: "teacher" | "professional" | null = data.side;
  return side === "teacher" ? id : -1;
}

export async function logIn(api: JobTinder, email: string, password: string): Promise<string> {
  const { data, error } = await api.POST("/api/v1/auth/token", {
    body: { username: email, password, device_name: "web" },
    bodySerializer: (form) =>
      new URLSearchParams(Object.entries(form).map(([key, value]) => [key, String(value)])),
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
  });
  if (error) throw new Error(error.code === "bad_credentials" ? "wrong email or password" : error.detail);
  const bearer: "bearer" | undefined = data.token_type;
  return bearer === undefined ? data.access_token : `${data.access_token}`;
}

// --- Vocabulary, profile and feed ---------------------------------------------------------

export async function subjectLabels(api: JobTinder): Promise<Map<string, string>> {
  const { data, response } = await api.GET("/api/v1/vocabulary", {
    headers: { "Accept-Language": "en" },
  });
  if (data === undefined) throw new Error(`vocabulary: ${response.status}`); // declares no error body
  return new Map(data.subjects.map((subject) => [subject.code, subject.en]));
}

export async function fillInProfile(api: JobTinder): Promise<boolean> {
  const { data, error } = await api.PUT("/api/v1/me/profile", {
    body: {
      headline: "Docent natuurkunde",
      organisation: "Erasmiaans Gymnasium",
      organisation_type: "gymnasium",
      subjects: ["natuurkunde"],
      place: "rotterdam",
      hours_per_month: 8,
      available_months: [1, 2, 3],
      goals: ["practice_in_lessons"],
      match_mode: "balanced",
      contact: { email: "f.elamrani@example.org" },
    },
  });
  if (error) {
    if (error.code === "validation_error") {
      for (const item of error.errors ?? []) console.warn(item.loc.join("."), item.msg);
    }
    return false;
  }
  return data.complete;
}

/** The deck: the typed error branch tells an incomplete profile from an unverified address. */
export async function firstCard(api: JobTinder): Promise<string> {
  const { data, error, response } = await api.GET("/api/v1/feed", { params: { query: { limit: 20 } } });
  if (error) {
    switch (error.code) {
      case "profile_incomplete":
        return "complete your profile first";
      case "email_not_verified":
        return "follow the link in the verification mail";
      default:
        return `${response.status} ${error.title}`;
    }
  }
  const first = data.items[0];
  if (first === undefined) return "nobody new right now";
  const score: number = first.score;
  const subject: number = first.breakdown.subject;
  const reasons: string[] = first.reasons;
  return `${first.profile.name} (${first.profile.region ?? "?"}) ${score} ${subject} ${reasons.join("; ")}`;
}

// --- Swipes and matches ---------------------------------------------------------------------

export async function like(api: JobTinder, targetId: number): Promise<number | null> {
  const { data, error, response } = await api.POST("/api/v1/swipes", {
    body: { target_id: targetId, decision: "like" },
  });
  if (error) {
    if (error.code === "daily_like_limit") {
      const wait = response.headers.get("Retry-After");
      throw new Error(`no more likes today; try again in ${wait ?? "a while"} s`);
    }
    if (error.code === "swipe_conflict") return null; // I passed on this person before
    throw new Error(error.detail);
  }
  return data.match === null ? null : data.match.id;
}

export async function leave(api: JobTinder, matchId: number, reason?: string): Promise<string> {
  // Both forms of the exit: without a body at all, and with a reason (never shown to the partner).
  const { data, error } =
    reason === undefined
      ? await api.POST("/api/v1/matches/{match_id}/exit", { params: { path: { match_id: matchId } } })
      : await api.POST("/api/v1/matches/{match_id}/exit", {
          params: { path: { match_id: matchId } },
          body: { reason, note: "Te druk op school." },
        });
  if (error) return error.code === "match_not_ongoing" ? "already over" : error.detail;
  const status: "trial" | "active" | "completed" | "ended" = data.status;
  return status;
}

export async function logMeeting(api: JobTinder, matchId: number): Promise<number> {
  const { data, error } = await api.POST("/api/v1/matches/{match_id}/meetings", {
    params: { path: { match_id: matchId } },
    body: { date: "2027-01-18", hours: 2.5, activity: "workplace_visit" },
  });
  if (error) throw new Error(error.code);
  const progress = await api.GET("/api/v1/matches/{match_id}/progress", {
    params: { path: { match_id: matchId } },
  });
  if (progress.error) throw new Error(progress.error.code);
  const onTrack: boolean = progress.data.on_track;
  return onTrack ? data.hours : -data.hours;
}

// --- Messages: an idempotent send, the unread badge, a read receipt ------------------------

export async function say(api: JobTinder, matchId: number, body: string): Promise<number> {
  const sent = await api.POST("/api/v1/matches/{match_id}/messages", {
    params: { path: { match_id: matchId } },
    body: { body, client_id: crypto.randomUUID() },
  });
  if (sent.error) {
    if (sent.error.code === "match_not_ongoing") return 0;
    throw new Error(sent.error.detail);
  }
  const badge = await api.GET("/api/v1/me/unread");
  if (badge.error) throw new Error(badge.error.code);
  const unread: number = badge.data.messages + badge.data.notifications;
  const read = await api.POST("/api/v1/matches/{match_id}/messages/read", {
    params: { path: { match_id: matchId } },
    body: { up_to_id: sent.data.id },
  });
  if (read.error) throw new Error(read.error.code);
  return unread;
}

// --- Notifications: `data` narrowed by `type` -----------------------------------------------

export function describe(notification: Notification): string {
  switch (notification.type) {
    case "match_created":
    case "coordinator_match": {
      const name: string = notification.data.partner_name;
      return `Match ${notification.data.match_id} with ${name}`;
    }
    case "partner_confirmed":
    case "match_active":
    case "match_ended":
      // @ts-expect-error these carry only the match, never the partner's name (or a reason)
      return `${notification.data.match_id} ${notification.data.partner_name}`;
    case "trial_ending": {
      const ends: string = notification.data.trial_ends_at;
      return `Trial of match ${notification.data.match_id} ends at ${ends}`;
    }
    case "behind_schedule": {
      const behind: number = notification.data.behind_by_hours;
      return `${behind} hours behind in match ${notification.data.match_id}`;
    }
    case "photo_removed": {
      const by: "coordinator" = notification.data.by;
      return `Your photo was removed by a ${by}`;
    }
    default: {
      // Every type is handled: a new one in the document makes this line fail to compile.
      const unknown: never = notification;
      return String(unknown);
    }
  }
}

export async function unreadTexts(api: JobTinder): Promise<string[]> {
  const { data, error } = await api.GET("/api/v1/notifications", {
    params: { query: { unread: true, limit: 100 } },
  });
  if (error) throw new Error(error.code);
  const texts = data.items.map(describe);
  const done = await api.POST("/api/v1/notifications/read-all");
  if (done.error) throw new Error(done.error.code);
  return texts;
}

// --- Types the document must keep strict ---------------------------------------------------

export const typos = {
  // @ts-expect-error a decision is "like" or "pass"
  decision: { target_id: 1, decision: "maybe" } satisfies Schemas["SwipeIn"],
  // @ts-expect-error a notification type outside the enum
  type: "match_maybe" satisfies Schemas["NotificationType"],
  // @ts-expect-error exit bodies have no free-form fields
  exit: { reason: "no_time", mood: "sad" } satisfies Schemas["ExitIn"],
};
