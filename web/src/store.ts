// Shared state of the app: my account, the vocabulary, unread counts. Tiny on purpose: a value,
// its listeners and a hook.
import { useEffect, useState } from "preact/hooks";
import { api, must, type Me, type Schemas } from "./api";

export type Vocabulary = Schemas["VocabularyOut"];

export class Store<T> {
  private listeners = new Set<(value: T) => void>();
  constructor(public value: T) {}
  set(value: T): void {
    this.value = value;
    this.listeners.forEach((listener) => listener(value));
  }
  subscribe(listener: (value: T) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export function useStore<T>(store: Store<T>): T {
  const [value, setValue] = useState(store.value);
  useEffect(() => {
    setValue(store.value);
    return store.subscribe(setValue);
  }, [store]);
  return value;
}

export const me = new Store<Me | null>(null);
export const vocabulary = new Store<Vocabulary | null>(null);
export type Unread = { messages: number; notifications: number; matches: { match_id: number; unread: number }[] };
export const unread = new Store<Unread>({ messages: 0, notifications: 0, matches: [] });
/** The match whose "it's a match" moment is showing (from a swipe or a live notification). */
export const celebrating = new Store<number | null>(null);

export async function loadMe(): Promise<Me> {
  const value = must(await api.GET("/api/v1/me"));
  me.set(value);
  return value;
}

let vocabularyLoading: Promise<Vocabulary> | null = null;
export function loadVocabulary(): Promise<Vocabulary> {
  if (vocabulary.value) return Promise.resolve(vocabulary.value);
  vocabularyLoading ??= api.GET("/api/v1/vocabulary").then((result) => {
    const value = must(result);
    vocabulary.set(value);
    return value;
  });
  return vocabularyLoading;
}

export function useVocabulary(): Vocabulary | null {
  const value = useStore(vocabulary);
  useEffect(() => {
    void loadVocabulary().catch(() => {
      vocabularyLoading = null;
    });
  }, []);
  return value;
}

export async function loadUnread(): Promise<void> {
  try {
    const { data } = await api.GET("/api/v1/me/unread");
    if (data) unread.set(data);
  } catch {
    // offline: the counts come again with the next `unread` event or load
  }
}
