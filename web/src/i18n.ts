// Two languages, Dutch first: `tr("Inloggen", "Log in")` keeps each text beside its use.
export type Language = "nl" | "en";
const KEY = "jt.language";
const listeners = new Set<() => void>();

function initial(): Language {
  const stored = localStorage.getItem(KEY);
  if (stored === "nl" || stored === "en") return stored;
  return navigator.language.toLowerCase().startsWith("en") ? "en" : "nl";
}

let language: Language = initial();
document.documentElement.lang = language;

export function getLanguage(): Language {
  return language;
}

export function setLanguage(next: Language): void {
  language = next;
  localStorage.setItem(KEY, next);
  document.documentElement.lang = next;
  listeners.forEach((listener) => listener());
}

export function onLanguageChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function tr(nl: string, en: string): string {
  return language === "en" ? en : nl;
}

/** A vocabulary item's label in the current language. */
export function label(item: { code: string; nl?: string; en?: string; name?: string } | undefined): string {
  if (!item) return "";
  return (language === "en" ? item.en : item.nl) ?? item.name ?? item.code;
}

const MONTHS_NL = ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"];
const MONTHS_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

export function monthName(month: number): string {
  return (language === "en" ? MONTHS_EN : MONTHS_NL)[month - 1] ?? String(month);
}

export function formatDate(iso: string): string {
  return new Date(iso).toLocaleDateString(language === "en" ? "en-GB" : "nl-NL", {
    day: "numeric",
    month: "short",
    year: "numeric",
  });
}

export function formatTime(iso: string): string {
  return new Date(iso).toLocaleString(language === "en" ? "en-GB" : "nl-NL", {
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
  });
}
