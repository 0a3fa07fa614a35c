// The live event stream (GET /api/v1/events, Server-Sent Events). EventSource cannot send an
// Authorization header, so every (re)connect asks for a single-use ticket first and resumes
// after the last event seen (?last_event_id=), so nothing is lost between connections.
import { api } from "./api";

export type LiveEvent = { id: number; type: string; created_at: string; data: Record<string, unknown> };
type Listener = (event: LiveEvent) => void;

const TYPES = ["message", "notification", "match_updated", "unread"] as const;
const listeners = new Set<Listener>();
let source: EventSource | null = null;
let lastId: number | null = null;
let running = false;
let retryTimer: number | undefined;
let failures = 0;
const openListeners = new Set<(open: boolean) => void>();

export function onLive(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function onLiveState(listener: (open: boolean) => void): () => void {
  openListeners.add(listener);
  return () => openListeners.delete(listener);
}

export function startLive(): void {
  if (running) return;
  running = true;
  void connect();
}

export function stopLive(): void {
  running = false;
  window.clearTimeout(retryTimer);
  source?.close();
  source = null;
  lastId = null;
  openListeners.forEach((listener) => listener(false));
}

async function connect(): Promise<void> {
  if (!running) return;
  const { data } = await api.POST("/api/v1/events/ticket").catch(() => ({ data: undefined }));
  if (!running) return;
  if (!data) return retry();
  const url = lastId === null ? data.url : `${data.url}&last_event_id=${lastId}`;
  const stream = new EventSource(url);
  source = stream;
  stream.onopen = () => {
    failures = 0;
    openListeners.forEach((listener) => listener(true));
  };
  for (const type of TYPES) {
    stream.addEventListener(type, (message: MessageEvent<string>) => {
      const event = JSON.parse(message.data) as LiveEvent;
      lastId = event.id;
      listeners.forEach((listener) => listener(event));
    });
  }
  stream.onerror = () => {
    // The ticket is used up: EventSource's own reconnect would fail. Start over with a new one.
    stream.close();
    if (source === stream) source = null;
    openListeners.forEach((listener) => listener(false));
    retry();
  };
}

function retry(): void {
  if (!running) return;
  failures += 1;
  window.clearTimeout(retryTimer);
  retryTimer = window.setTimeout(() => void connect(), Math.min(30_000, 1000 * 2 ** Math.min(failures, 5)));
}
