// The conversation of a match, live: new messages arrive over the event stream.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, must, type Match, type Message } from "../api";
import { formatTime, tr } from "../i18n";
import { onLive } from "../live";
import { loadUnread } from "../store";
import { ErrorBox, Notice, useAction } from "../ui";

function newClientId(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

export function Chat(props: { match: Match }) {
  const matchId = props.match.id;
  const [messages, setMessages] = useState<Message[]>([]);
  const [canWrite, setCanWrite] = useState(false);
  const [older, setOlder] = useState<string | null>(null);
  const [partnerRead, setPartnerRead] = useState<number | null>(null);
  const [text, setText] = useState("");
  const [error, setError] = useState<unknown>(null);
  const end = useRef<HTMLLIElement>(null);

  const merge = (incoming: Message[]) =>
    setMessages((old) => {
      const byId = new Map(old.map((message) => [message.id, message]));
      for (const message of incoming) byId.set(message.id, message);
      return [...byId.values()].sort((a, b) => a.id - b.id);
    });

  const markRead = async (upTo: number) => {
    try {
      await api.POST("/api/v1/matches/{match_id}/messages/read", { params: { path: { match_id: matchId } }, body: { up_to_id: upTo } });
      void loadUnread();
    } catch {
      // offline: marked read with the next message read
    }
  };

  const load = async (before: string | null = null) => {
    try {
      const page = must(
        await api.GET("/api/v1/matches/{match_id}/messages", {
          params: { path: { match_id: matchId }, query: { limit: 50, ...(before ? { before } : {}) } },
        }),
      );
      merge(page.items);
      setCanWrite(page.can_write);
      setPartnerRead(page.partner_read_up_to);
      if (!before) setOlder(page.next_cursor);
      else setOlder(page.next_cursor);
      const newest = page.items[0];
      if (!before && newest && !newest.mine) void markRead(newest.id);
    } catch (caught) {
      setError(caught);
    }
  };

  useEffect(() => {
    setMessages([]);
    void load();
    return onLive((event) => {
      if (event.type === "message" && event.data.match_id === matchId) {
        const message = event.data as unknown as Message;
        merge([message]);
        void markRead(message.id);
      }
    });
  }, [matchId]);

  useEffect(() => end.current?.scrollIntoView({ block: "end" }), [messages.length]);

  const send = useAction(async () => {
    const body = text.trim();
    if (!body) return;
    const message = must(
      await api.POST("/api/v1/matches/{match_id}/messages", {
        params: { path: { match_id: matchId } },
        body: { body, client_id: newClientId() },
      }),
    );
    merge([message]);
    setText("");
  });

  return (
    <div class="chat">
      {older && (
        <button type="button" class="quiet" onClick={() => void load(older)}>
          {tr("Eerdere berichten", "Earlier messages")}
        </button>
      )}
      <ErrorBox error={error} />
      {messages.length === 0 && <Notice>{tr("Nog geen berichten. Zeg hallo!", "No messages yet. Say hello!")}</Notice>}
      <div role="log" aria-live="polite" aria-label={tr("Berichten", "Messages")}>
      <ol class="messages" data-testid="messages">
        {messages.map((message) => (
          <li key={message.id} class={message.mine ? "mine" : "theirs"}>
            <span class="visually-hidden">{message.mine ? tr("Jij: ", "You: ") : `${props.match.partner.name}: `}</span>
            <p>{message.removed ? <em>{tr("Bericht verwijderd", "Message removed")}</em> : message.body}</p>
            <time dateTime={message.created_at}>
              {formatTime(message.created_at)}
              {message.mine && partnerRead !== null && message.id <= partnerRead ? ` · ${tr("gelezen", "read")}` : ""}
            </time>
          </li>
        ))}
        <li ref={end} class="end" aria-hidden="true" />
      </ol>
      </div>
      {canWrite ? (
        <form
          class="composer"
          onSubmit={(event) => {
            event.preventDefault();
            void send.run();
          }}
        >
          <label for="composer-text" class="visually-hidden">
            {tr("Bericht", "Message")}
          </label>
          <textarea id="composer-text" rows={2} maxLength={4000} value={text} placeholder={tr("Schrijf een bericht…", "Write a message…")}
            onInput={(event) => setText((event.target as HTMLTextAreaElement).value)}
            onKeyDown={(event) => {
              if (event.key === "Enter" && !event.shiftKey) {
                event.preventDefault();
                void send.run();
              }
            }}
          />
          <button type="submit" class="primary" disabled={send.busy || !text.trim()}>
            {tr("Versturen", "Send")}
          </button>
          <ErrorBox error={send.error} />
        </form>
      ) : (
        <Notice>{tr("Dit gesprek is gesloten; je kunt het nog lezen.", "This conversation is closed; you can still read it.")}</Notice>
      )}
    </div>
  );
}
