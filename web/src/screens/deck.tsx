// The swipe deck: drag a card (pointer or touch), use the buttons, or the keyboard
// (← pass, → like, U undo). The last swipe can be undone while no match came from it.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError, must, type FeedItem } from "../api";
import { label, tr } from "../i18n";
import { linkProps } from "../router";
import { celebrating, me, useStore, useVocabulary, type Vocabulary } from "../store";
import { Avatar, ErrorBox, Notice, Screen } from "../ui";
import { VerifyBanner } from "./auth";

type Decision = "like" | "pass";
const THRESHOLD = 90; // px of horizontal drag that counts as a swipe

let interactiveMarked = false;

export function Deck() {
  const account = useStore(me);
  const vocabulary = useVocabulary();
  const [items, setItems] = useState<FeedItem[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [canUndo, setCanUndo] = useState(false);
  const [said, setSaid] = useState("");
  // Swipes and undos go to the API one after the other, in the order they were made; the
  // deck itself changes at once (a quick undo after a swipe waits for that swipe's answer).
  const queue = useRef<Promise<void>>(Promise.resolve());
  const itemsRef = useRef<FeedItem[] | null>(null);
  const lastRef = useRef<{ item: FeedItem; decision: Decision } | null>(null);
  itemsRef.current = items;

  const show = (next: FeedItem[]) => {
    itemsRef.current = next;
    setItems(next);
  };
  const enqueue = (job: () => Promise<void>) => {
    queue.current = queue.current.then(job).catch((caught: unknown) => setError(caught));
  };

  const load = async (next: string | null = null) => {
    try {
      const page = must(await api.GET("/api/v1/feed", { params: { query: { limit: 20, ...(next ? { cursor: next } : {}) } } }));
      show(next && itemsRef.current ? [...itemsRef.current, ...page.items] : page.items);
      setCursor(page.next_cursor);
      setError(null);
    } catch (caught) {
      setError(caught);
      show([]);
    }
  };

  useEffect(() => {
    if (account?.email_verified && account.profile?.complete) void load();
  }, [account?.email_verified, account?.profile?.complete]);

  const top = items?.[0];
  useEffect(() => {
    if (top && !interactiveMarked) {
      interactiveMarked = true;
      performance.mark("deck-interactive");
    }
    if (items && items.length < 3 && cursor) void load(cursor);
  }, [top?.profile.id]);

  const swipe = (decision: Decision) => {
    const item = itemsRef.current?.[0];
    if (!item) return;
    show(itemsRef.current!.slice(1));
    setCanUndo(true);
    setSaid(decision === "like" ? tr(`${item.profile.name} geliked`, `Liked ${item.profile.name}`) : tr(`${item.profile.name} overgeslagen`, `Passed on ${item.profile.name}`));
    enqueue(async () => {
      try {
        const result = must(await api.POST("/api/v1/swipes", { body: { target_id: item.profile.id, decision } }));
        lastRef.current = result.match ? null : { item, decision }; // no undo once a match came from it
        setCanUndo(lastRef.current !== null);
        if (result.match) celebrating.set(result.match.id);
      } catch (caught) {
        lastRef.current = null;
        setCanUndo(false);
        show([item, ...(itemsRef.current ?? [])]);
        throw caught;
      }
    });
  };

  const undo = () =>
    enqueue(async () => {
      const last = lastRef.current;
      if (!last) return;
      must(await api.DELETE("/api/v1/swipes/{target_id}", { params: { path: { target_id: last.item.profile.id } } }));
      lastRef.current = null;
      setCanUndo(false);
      show([last.item, ...(itemsRef.current ?? [])]);
      setSaid(tr(`${last.item.profile.name} terug in de stapel`, `${last.item.profile.name} back on the deck`));
    });

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement;
      if (target.closest("input, textarea, select, [role=dialog]") || event.altKey || event.ctrlKey || event.metaKey) return;
      if (event.key === "ArrowRight") swipe("like");
      else if (event.key === "ArrowLeft") swipe("pass");
      else if (event.key === "u" || event.key === "U" || event.key === "Backspace") undo();
      else return;
      event.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  });

  const title = tr("Ontdekken", "Discover");
  if (!account) return <Screen title={title}>{null}</Screen>;
  if (!account.email_verified)
    return (
      <Screen title={title}>
        <VerifyBanner />
      </Screen>
    );
  if (!account.profile?.complete)
    return (
      <Screen title={title}>
        <Notice>{tr("Maak eerst je profiel compleet, dan verschijnt je stapel.", "Complete your profile first, then your deck appears.")}</Notice>
        <a class="button primary" {...linkProps("profile")}>
          {tr("Naar mijn profiel", "To my profile")}
        </a>
      </Screen>
    );

  return (
    <Screen title={title}>
      <p class="visually-hidden" aria-live="polite">
        {said}
      </p>
      <p class="hint" id="deck-help">
        {tr("Sleep naar rechts om te liken, naar links om over te slaan. Toetsen: → like, ← overslaan, U ongedaan maken.",
          "Drag right to like, left to pass. Keys: → like, ← pass, U undo.")}
      </p>
      {!(error instanceof ApiError && error.status === 409) && <ErrorBox error={error} />}
      <div class="deck" data-testid="deck">
        {items === null && <Notice>{tr("Stapel laden…", "Loading the deck…")}</Notice>}
        {items?.length === 0 && !error && (
          <div class="empty">
            <p>{tr("Er is nu niemand meer in je stapel. Kom later terug, of verruim je reisafstand.", "Nobody is left in your deck for now. Come back later, or widen your travel distance.")}</p>
            <button type="button" onClick={() => void load()}>
              {tr("Opnieuw kijken", "Look again")}
            </button>
          </div>
        )}
        {items?.[1] && <CardView key={items[1].profile.id} item={items[1]} vocabulary={vocabulary} behind />}
        {top && <DraggableCard key={top.profile.id} item={top} vocabulary={vocabulary} onSwipe={swipe} />}
      </div>
      <div class="deck-actions">
        <button type="button" class="round pass" onClick={() => swipe("pass")} disabled={!top} aria-label={tr("Overslaan", "Pass")} aria-describedby="deck-help">
          <span aria-hidden="true">✕</span>
        </button>
        <button type="button" class="round undo" onClick={undo} disabled={!canUndo} aria-label={tr("Laatste swipe ongedaan maken", "Undo last swipe")}>
          <span aria-hidden="true">↶</span>
        </button>
        <button type="button" class="round like" onClick={() => swipe("like")} disabled={!top} aria-label={tr("Liken", "Like")} aria-describedby="deck-help">
          <span aria-hidden="true">♥</span>
        </button>
      </div>
    </Screen>
  );
}

function DraggableCard(props: { item: FeedItem; vocabulary: Vocabulary | null; onSwipe: (decision: Decision) => void }) {
  const card = useRef<HTMLDivElement>(null);
  const start = useRef<{ x: number; y: number; id: number } | null>(null);
  const [dx, setDx] = useState(0);
  const [leaving, setLeaving] = useState<Decision | null>(null);
  const [dragging, setDragging] = useState(false);

  const onDown = (event: PointerEvent) => {
    if (event.button !== 0 && event.pointerType === "mouse") return;
    start.current = { x: event.clientX, y: event.clientY, id: event.pointerId };
  };
  const onMove = (event: PointerEvent) => {
    if (!start.current || start.current.id !== event.pointerId) return;
    const moved = event.clientX - start.current.x;
    // A drag, not a tap: from here on the card follows this pointer (a tap still reaches the
    // "why this match" toggle and links inside the card).
    if (!dragging && Math.abs(moved) > 8) {
      card.current?.setPointerCapture(event.pointerId);
      setDragging(true);
    }
    if (dragging || Math.abs(moved) > 8) setDx(moved);
  };
  const onUp = (event: PointerEvent) => {
    if (!start.current || start.current.id !== event.pointerId) return;
    const moved = event.clientX - start.current.x;
    start.current = null;
    setDragging(false);
    if (Math.abs(moved) >= THRESHOLD) {
      const decision: Decision = moved > 0 ? "like" : "pass";
      setLeaving(decision);
      window.setTimeout(() => props.onSwipe(decision), 160);
    } else {
      setDx(0);
    }
  };
  const offset = leaving ? (leaving === "like" ? 600 : -600) : dx;
  const hint = offset > THRESHOLD / 2 ? "like" : offset < -THRESHOLD / 2 ? "pass" : null;
  useEffect(() => {
    if (card.current) card.current.style.transform = `translateX(${offset}px) rotate(${offset / 20}deg)`;
  }, [offset]);
  return (
    <CardView
      item={props.item}
      vocabulary={props.vocabulary}
      cardRef={card}
      hint={hint}
      dragging={dragging}
      handlers={{ onPointerDown: onDown, onPointerMove: onMove, onPointerUp: onUp, onPointerCancel: onUp }}
    />
  );
}

type Handlers = {
  onPointerDown: (event: PointerEvent) => void;
  onPointerMove: (event: PointerEvent) => void;
  onPointerUp: (event: PointerEvent) => void;
  onPointerCancel: (event: PointerEvent) => void;
};

const PARTS = [
  ["subject", "Vakinhoud", "Subject"],
  ["motivation", "Motivatie", "Motivation"],
  ["region", "Regio", "Region"],
  ["availability", "Beschikbaarheid", "Availability"],
] as const;

function CardView(props: {
  item: FeedItem;
  vocabulary: Vocabulary | null;
  behind?: boolean;
  cardRef?: { current: HTMLDivElement | null };
  hint?: Decision | null;
  dragging?: boolean;
  handlers?: Handlers;
}) {
  const { profile, reasons, breakdown, score, distance_km } = props.item;
  const region = props.vocabulary?.regions.find((item) => item.code === profile.region);
  const classes = ["card", props.behind ? "behind" : "top", props.dragging ? "dragging" : "", props.hint ? `hint-${props.hint}` : ""].join(" ");
  return (
    <article
      class={classes}
      ref={props.cardRef}
      aria-hidden={props.behind ? true : undefined}
      aria-label={props.behind ? undefined : `${profile.name}, ${profile.headline ?? ""}`}
      data-testid={props.behind ? undefined : "card"}
      {...(props.handlers ?? {})}
    >
      <div class="card-photo">
        {profile.photo ? (
          <img src={profile.photo.url} alt={tr(`Foto van ${profile.name}`, `Photo of ${profile.name}`)} width={profile.photo.width} height={profile.photo.height} draggable={false} />
        ) : (
          <Avatar name={profile.name} size="large" />
        )}
        {props.hint && <span class={`stamp ${props.hint}`}>{props.hint === "like" ? "LIKE" : tr("NEE", "NOPE")}</span>}
      </div>
      <div class="card-body">
        <h2>{profile.name}</h2>
        <p class="headline">{profile.headline}</p>
        <p class="org">
          {profile.organisation}
          {profile.organisation_type && props.vocabulary && (
            <> · {label(props.vocabulary.organisation_types.find((item) => item.code === profile.organisation_type))}</>
          )}
        </p>
        <p class="where">
          {profile.place_name}
          {region && <> · {label(region)}</>} · {distance_km} km
        </p>
        <ul class="reasons">
          {reasons.map((reason) => (
            <li key={reason}>{reason}</li>
          ))}
        </ul>
        <details class="breakdown">
          <summary>
            {tr("Waarom deze match", "Why this match")} · {Math.round(score * 100)}%
          </summary>
          <dl>
            {PARTS.map(([key, nl, en]) => (
              <div key={key} class="bar">
                <dt>{tr(nl, en)}</dt>
                <dd>
                  <meter min={0} max={1} value={breakdown[key]} aria-label={tr(nl, en)} />
                  <span>{Math.round(breakdown[key] * 100)}%</span>
                </dd>
              </div>
            ))}
          </dl>
        </details>
      </div>
    </article>
  );
}
