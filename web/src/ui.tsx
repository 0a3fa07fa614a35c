// Small accessible building blocks: every control has a visible label, errors are announced.
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError } from "./api";
import { tr } from "./i18n";

let ids = 0;
export function useId(prefix: string): string {
  const ref = useRef<string | undefined>(undefined);
  ref.current ??= `${prefix}-${++ids}`;
  return ref.current;
}

/** A screen: its heading takes the focus when it opens, so a screen reader starts there. */
export function Screen(props: { title: string; children: ComponentChildren; actions?: ComponentChildren }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus();
    document.title = `${props.title} — Job Tinder`;
  }, [props.title]);
  return (
    <section class="screen" aria-labelledby="screen-title">
      <header class="screen-head">
        <h1 id="screen-title" tabIndex={-1} ref={heading}>
          {props.title}
        </h1>
        {props.actions}
      </header>
      {props.children}
    </section>
  );
}

type InputProps = {
  type?: "text" | "email" | "password" | "number" | "date" | "tel" | "url" | "range";
  autoComplete?: string;
  required?: boolean;
  minLength?: number;
  maxLength?: number;
  min?: number | string;
  max?: number | string;
  step?: string;
  label: string;
  value: string;
  onValue: (value: string) => void;
  error?: string | undefined;
  hint?: string;
};

export function Field({ label, value, onValue, error, hint, ...rest }: InputProps) {
  const id = useId("f");
  const described = [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ");
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input
        id={id}
        value={value}
        onInput={(event) => onValue((event.target as HTMLInputElement).value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={described || undefined}
        // Preact types each input `type` separately; these attributes suit every one used here.
        {...(rest as object)}
      />
      {hint && (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p class="error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

export function TextArea(props: { label: string; value: string; onValue: (value: string) => void; maxLength?: number; rows?: number }) {
  const id = useId("t");
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <textarea
        id={id}
        value={props.value}
        maxLength={props.maxLength}
        rows={props.rows ?? 3}
        onInput={(event) => props.onValue((event.target as HTMLTextAreaElement).value)}
      />
    </div>
  );
}

export function Select(props: {
  label: string;
  value: string;
  onValue: (value: string) => void;
  options: { value: string; label: string }[];
  placeholder?: string;
  required?: boolean;
}) {
  const id = useId("s");
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <select id={id} value={props.value} required={props.required} onChange={(event) => props.onValue((event.target as HTMLSelectElement).value)}>
        {props.placeholder !== undefined && <option value="">{props.placeholder}</option>}
        {props.options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </div>
  );
}

/** A group of checkboxes shown as chips (a fieldset with a legend). */
export function Chips<T extends string | number>(props: {
  legend: string;
  options: { value: T; label: string }[];
  selected: T[];
  onChange: (selected: T[]) => void;
  max?: number;
  hint?: string;
}) {
  const toggle = (value: T, on: boolean) => {
    const next = on ? [...props.selected, value] : props.selected.filter((item) => item !== value);
    props.onChange(next);
  };
  const full = props.max !== undefined && props.selected.length >= props.max;
  return (
    <fieldset class="chips">
      <legend>{props.legend}</legend>
      {props.hint && <p class="hint">{props.hint}</p>}
      <div class="chip-list">
        {props.options.map((option) => {
          const on = props.selected.includes(option.value);
          return (
            <label key={String(option.value)} class={on ? "chip on" : "chip"}>
              <input type="checkbox" checked={on} disabled={!on && full} onChange={(event) => toggle(option.value, (event.target as HTMLInputElement).checked)} />
              <span>{option.label}</span>
            </label>
          );
        })}
      </div>
    </fieldset>
  );
}

export function ErrorBox(props: { error: unknown }) {
  if (!props.error) return null;
  const text =
    props.error instanceof ApiError
      ? props.error.message
      : props.error instanceof TypeError
        ? tr("Geen verbinding. Probeer het zo opnieuw.", "No connection. Try again in a moment.")
        : String(props.error);
  return (
    <p class="error-box" role="alert">
      {text}
    </p>
  );
}

export function Notice(props: { children: ComponentChildren }) {
  return (
    <p class="notice" role="status">
      {props.children}
    </p>
  );
}

/** Runs an async action; tracks busy and the last error. */
export function useAction<A extends unknown[]>(action: (...args: A) => Promise<void>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = async (...args: A) => {
    setBusy(true);
    setError(null);
    try {
      await action(...args);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run, setError };
}

/** Load data for a screen; `reload` fetches again. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[] = []) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (value) => live && (setData(value), setError(null)),
      (caught) => live && setError(caught),
    );
    return () => {
      live = false;
    };
  }, [...deps, version]);
  return { data, error, setData, reload: () => setVersion((v) => v + 1) };
}

export function Avatar(props: { name: string; url?: string | null | undefined; size?: "small" | "large" }) {
  const initials = props.name
    .split(/\s+/)
    .map((part) => part[0] ?? "")
    .join("")
    .slice(0, 2)
    .toUpperCase();
  const cls = `avatar ${props.size ?? "small"}`;
  return props.url ? <img class={cls} src={props.url} alt="" /> : <span class={cls} aria-hidden="true">{initials}</span>;
}
