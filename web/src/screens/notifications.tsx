// Notifications: what happened with my matches, newest first.
import { useEffect } from "preact/hooks";
import { api, must, type Notification } from "../api";
import { formatTime, tr } from "../i18n";
import { onLive } from "../live";
import { navigate } from "../router";
import { loadUnread } from "../store";
import { ErrorBox, Notice, Screen, useLoad } from "../ui";

type Data = { match_id?: number; partner_name?: string; hours_behind?: number; days_left?: number };

/** What a notification type is about, for the mail settings (the notifications themselves
 * carry their own `text`, in my language). `match_ended` stays neutral: never who or why. */
export function notificationText(note: { type: string; data: Data }): string {
  const data = note.data;
  const name = data.partner_name ?? tr("iemand", "someone");
  switch (note.type) {
    case "match_created":
      return tr(`Je hebt een match met ${name}!`, `You have a match with ${name}!`);
    case "coordinator_match":
      return tr(`De coördinator heeft je gekoppeld aan ${name}.`, `The coordinator paired you with ${name}.`);
    case "partner_confirmed":
      return tr("Je match wil doorgaan na de proeftijd.", "Your match wants to continue after the trial.");
    case "match_active":
      return tr("Jullie gaan allebei door: de match is actief.", "You both continue: the match is active.");
    case "match_ended":
      return tr("Een match is gestopt. Geen zorgen: je staat weer in de stapel.", "A match has ended. No worries: you are back in the deck.");
    case "trial_ending":
      return tr("De proeftijd loopt bijna af. Willen jullie doorgaan?", "The trial period is ending soon. Do you want to continue?");
    case "behind_schedule":
      return tr("Jullie lopen achter op de geplande uren.", "You are behind on the planned hours.");
    case "photo_removed":
      return tr("De coördinator heeft je profielfoto verwijderd.", "The coordinator removed your profile photo.");
    case "photo_refused":
      return tr("Je foto kon niet worden gebruikt.", "Your photo could not be used.");
    default:
      return tr("Nieuwe melding", "New notification");
  }
}

export function Notifications() {
  const { data, error, reload } = useLoad(async () => must(await api.GET("/api/v1/notifications", { params: { query: { limit: 50 } } })));
  useEffect(() => onLive((event) => event.type === "notification" && reload()), []);
  const open = async (note: Notification) => {
    if (!note.read) {
      await api.POST("/api/v1/notifications/{notification_id}/read", { params: { path: { notification_id: note.id } } }).catch(() => undefined);
      void loadUnread();
    }
    const matchId = "match_id" in note.data ? note.data.match_id : undefined;
    if (matchId !== undefined) navigate(`matches/${matchId}`);
    else reload();
  };
  return (
    <Screen title={tr("Meldingen", "Notifications")}>
      <ErrorBox error={error} />
      {data?.items.length === 0 && <Notice>{tr("Nog geen meldingen.", "No notifications yet.")}</Notice>}
      <ul class="notifications" data-testid="notifications">
        {data?.items.map((note) => (
          <li key={note.id} class={note.read ? "read" : "unread"}>
            <button type="button" class="note" onClick={() => void open(note)}>
              {!note.read && <span class="visually-hidden">{tr("Nieuw: ", "New: ")}</span>}
              <span>{note.text}</span>
              <time dateTime={note.created_at}>{formatTime(note.created_at)}</time>
            </button>
          </li>
        ))}
      </ul>
    </Screen>
  );
}
