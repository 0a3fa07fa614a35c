// My matches, and one match: overview (trial countdown, confirm, exit-kaart) and its tabs.
import { useEffect, useState } from "preact/hooks";
import { api, must, type Match } from "../api";
import { formatDate, label, tr } from "../i18n";
import { onLive } from "../live";
import { linkProps, navigate } from "../router";
import { celebrating, unread, useStore, useVocabulary } from "../store";
import { Avatar, ErrorBox, Notice, Screen, Select, TextArea, useAction, useLoad } from "../ui";
import { Chat } from "./chat";
import { Evaluations, Meetings, Plan } from "./trajectory";

export function statusText(match: Match): string {
  switch (match.status) {
    case "trial":
      return tr("Proeftijd", "Trial period");
    case "active":
      return tr("Actief", "Active");
    case "completed":
      return tr("Afgerond", "Completed");
    default:
      return tr("Beëindigd", "Ended");
  }
}

function daysLeft(iso: string): number {
  return Math.max(0, Math.ceil((new Date(iso).getTime() - Date.now()) / 86_400_000));
}

/** Reload when a live event concerns my matches. */
function useMatchEvents(reload: () => void, matchId?: number) {
  useEffect(
    () =>
      onLive((event) => {
        const id = (event.data.match_id ?? (event.data.data as { match_id?: number } | undefined)?.match_id) as number | undefined;
        if (event.type === "match_updated" || (event.type === "notification" && id !== undefined)) {
          if (matchId === undefined || id === matchId) reload();
        }
      }),
    [matchId],
  );
}

export function Matches() {
  const { data, error, reload } = useLoad(async () => must(await api.GET("/api/v1/matches", { params: { query: { limit: 50 } } })));
  const counts = useStore(unread);
  useMatchEvents(reload);
  return (
    <Screen title={tr("Matches", "Matches")}>
      <ErrorBox error={error} />
      {data && data.items.length === 0 && (
        <Notice>{tr("Nog geen matches. Like iemand in je stapel; liket die jou ook, dan is het een match.", "No matches yet. Like someone in your deck; if they like you too, it's a match.")}</Notice>
      )}
      <ul class="match-list">
        {data?.items.map((match) => {
          const waiting = counts.matches.find((item) => item.match_id === match.id)?.unread ?? 0;
          return (
            <li key={match.id}>
              <a {...linkProps(`matches/${match.id}`)} class="match-row">
                <Avatar name={match.partner.name} url={match.partner.photo?.thumbnail_url} />
                <span class="who">
                  <strong>{match.partner.name}</strong>
                  <span>{match.partner.headline}</span>
                </span>
                <span class={`status ${match.status}`}>{statusText(match)}</span>
                {waiting > 0 && <span class="badge">{tr(`${waiting} nieuw`, `${waiting} new`)}</span>}
              </a>
            </li>
          );
        })}
      </ul>
    </Screen>
  );
}

const TABS = [
  ["", "Overzicht", "Overview"],
  ["chat", "Gesprek", "Conversation"],
  ["plan", "Plan", "Plan"],
  ["meetings", "Uren", "Hours"],
  ["evaluations", "Evaluaties", "Evaluations"],
] as const;

export function MatchScreen(props: { id: number; tab: string }) {
  const { data: match, error, reload, setData } = useLoad(
    async () => must(await api.GET("/api/v1/matches/{match_id}", { params: { path: { match_id: props.id } } })),
    [props.id],
  );
  useMatchEvents(reload, props.id);
  const title = match ? match.partner.name : tr("Match", "Match");
  return (
    <Screen title={title}>
      <ErrorBox error={error} />
      {match && (
        <>
          <nav class="tabs" aria-label={tr("Onderdelen van de match", "Parts of the match")}>
            {TABS.map(([tab, nl, en]) => (
              <a key={tab} {...linkProps(`matches/${match.id}${tab ? "/" + tab : ""}`)} aria-current={props.tab === tab ? "page" : undefined}>
                {tr(nl, en)}
              </a>
            ))}
          </nav>
          {props.tab === "" && <Overview match={match} onChange={setData} />}
          {props.tab === "chat" && <Chat match={match} />}
          {props.tab === "plan" && <Plan match={match} />}
          {props.tab === "meetings" && <Meetings match={match} />}
          {props.tab === "evaluations" && <Evaluations match={match} />}
        </>
      )}
    </Screen>
  );
}

function Overview(props: { match: Match; onChange: (match: Match) => void }) {
  const { match } = props;
  const vocabulary = useVocabulary();
  const confirm = useAction(async () => {
    props.onChange(must(await api.POST("/api/v1/matches/{match_id}/confirm", { params: { path: { match_id: match.id } } })));
  });
  const ongoing = match.status === "trial" || match.status === "active";
  const contact = match.partner.contact;
  return (
    <div class="overview">
      <div class="partner">
        <Avatar name={match.partner.name} url={match.partner.photo?.thumbnail_url} size="large" />
        <div>
          <p class="headline">{match.partner.headline}</p>
          <p>{match.partner.organisation}</p>
          <p>{match.partner.place_name}</p>
        </div>
      </div>
      <p class={`status ${match.status}`} data-testid="match-status">
        {statusText(match)}
      </p>
      {match.status === "ended" && (
        <Notice>{tr("Deze match is gestopt. Geen zorgen: jullie staan allebei weer in de stapel.", "This match has ended. No worries: you are both back in the deck.")}</Notice>
      )}
      {match.status === "trial" && (
        <div class="trial">
          <p>
            {match.trial_overdue
              ? tr("De proeftijd is voorbij. Willen jullie doorgaan?", "The trial period is over. Do you want to continue?")
              : tr(`Nog ${daysLeft(match.trial_ends_at)} dagen proeftijd (tot ${formatDate(match.trial_ends_at)}).`, `${daysLeft(match.trial_ends_at)} days of trial left (until ${formatDate(match.trial_ends_at)}).`)}
          </p>
          <p>
            {match.confirmed_by_me ? tr("Jij wilt doorgaan.", "You want to continue.") : ""}{" "}
            {match.confirmed_by_partner ? tr(`${match.partner.name} wil doorgaan.`, `${match.partner.name} wants to continue.`) : ""}
          </p>
          {!match.confirmed_by_me && (
            <button type="button" class="primary" disabled={confirm.busy} onClick={() => void confirm.run()}>
              {tr("Ik wil doorgaan", "I want to continue")}
            </button>
          )}
          <ErrorBox error={confirm.error} />
        </div>
      )}
      {match.status === "active" && <p>{tr(`Jullie traject loopt tot ${formatDate(match.ends_at)}.`, `Your trajectory runs until ${formatDate(match.ends_at)}.`)}</p>}
      {contact && (contact.email || contact.phone || contact.linkedin_url) && (
        <dl class="contact">
          {contact.email && (
            <>
              <dt>{tr("E-mail", "Email")}</dt>
              <dd>
                <a href={`mailto:${contact.email}`}>{contact.email}</a>
              </dd>
            </>
          )}
          {contact.phone && (
            <>
              <dt>{tr("Telefoon", "Phone")}</dt>
              <dd>
                <a href={`tel:${contact.phone}`}>{contact.phone}</a>
              </dd>
            </>
          )}
          {contact.linkedin_url && (
            <>
              <dt>LinkedIn</dt>
              <dd>
                <a href={contact.linkedin_url} rel="noopener noreferrer" target="_blank">
                  {contact.linkedin_url}
                </a>
              </dd>
            </>
          )}
        </dl>
      )}
      {ongoing && (
        <p>
          <a class="button" {...linkProps(`matches/${match.id}/chat`)}>
            {tr("Stuur een bericht", "Send a message")}
          </a>
        </p>
      )}
      {ongoing && <ExitCard match={match} reasons={vocabulary?.exit_reasons ?? []} onDone={props.onChange} />}
    </div>
  );
}

/** The exit-kaart: one quiet action, a reason only if you want to give one. */
function ExitCard(props: { match: Match; reasons: { code: string; nl?: string; en?: string }[]; onDone: (match: Match) => void }) {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState("");
  const [note, setNote] = useState("");
  const { busy, error, run } = useAction(async () => {
    const ended = must(
      await api.POST("/api/v1/matches/{match_id}/exit", {
        params: { path: { match_id: props.match.id } },
        body: { reason: reason || null, note: note.trim() || null },
      }),
    );
    props.onDone(ended);
  });
  if (!open)
    return (
      <button type="button" class="quiet exit" onClick={() => setOpen(true)}>
        {tr("Stoppen met deze match (exit-kaart)", "Stop this match (exit card)")}
      </button>
    );
  return (
    <form
      class="exit-card"
      onSubmit={(event) => {
        event.preventDefault();
        void run();
      }}
    >
      <h2>{tr("Exit-kaart", "Exit card")}</h2>
      <p>
        {tr(
          `Stoppen mag altijd, zonder gedoe. ${props.match.partner.name} krijgt alleen een neutraal bericht; een reden is niet nodig en ziet alleen de coördinator.`,
          `You can always stop, no hard feelings. ${props.match.partner.name} only gets a neutral message; a reason is optional and only the coordinator sees it.`,
        )}
      </p>
      <Select
        label={tr("Reden (niet verplicht)", "Reason (optional)")}
        value={reason}
        onValue={setReason}
        placeholder={tr("— geen reden —", "— no reason —")}
        options={props.reasons.map((item) => ({ value: item.code, label: label(item) }))}
      />
      <TextArea label={tr("Toelichting voor de coördinator (niet verplicht)", "Note for the coordinator (optional)")} maxLength={1000} value={note} onValue={setNote} />
      <ErrorBox error={error} />
      <div class="row">
        <button type="submit" class="danger" disabled={busy}>
          {tr("Stop de match", "Stop the match")}
        </button>
        <button type="button" class="quiet" onClick={() => setOpen(false)}>
          {tr("Toch niet", "Never mind")}
        </button>
      </div>
    </form>
  );
}

/** "It's a match!": from my own like, or live when the other liked me back. */
export function MatchMoment() {
  const id = useStore(celebrating);
  const [match, setMatch] = useState<Match | null>(null);
  useEffect(() => {
    setMatch(null);
    if (id === null) return;
    void api.GET("/api/v1/matches/{match_id}", { params: { path: { match_id: id } } }).then(({ data }) => setMatch(data ?? null), () => setMatch(null));
  }, [id]);
  useEffect(() => {
    if (id === null) return;
    const onKey = (event: KeyboardEvent) => event.key === "Escape" && celebrating.set(null);
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [id]);
  if (id === null || !match) return null;
  const close = () => celebrating.set(null);
  return (
    <div class="moment-backdrop">
      <div class="moment" role="dialog" aria-modal="true" aria-labelledby="moment-title" data-testid="match-moment">
        <h2 id="moment-title" tabIndex={-1} ref={(element) => element?.focus()}>
          {tr("Het is een match!", "It's a match!")}
        </h2>
        <Avatar name={match.partner.name} url={match.partner.photo?.thumbnail_url} size="large" />
        <p>
          {tr(`Jij en ${match.partner.name} willen allebei. De proeftijd begint nu.`, `You and ${match.partner.name} both want this. The trial period starts now.`)}
        </p>
        <button
          type="button"
          class="primary"
          onClick={() => {
            close();
            navigate(`matches/${match.id}/chat`);
          }}
        >
          {tr("Stuur een bericht", "Send a message")}
        </button>
        <button type="button" class="quiet" onClick={close}>
          {tr("Verder swipen", "Keep swiping")}
        </button>
      </div>
    </div>
  );
}
