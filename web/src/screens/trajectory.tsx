// The twinning itself: the plan (werkafspraken), meetings and progress, the evaluations.
import { useEffect, useState } from "preact/hooks";
import { api, must, type Match, type Schemas } from "../api";
import { formatDate, label, tr } from "../i18n";
import { useVocabulary } from "../store";
import { Chips, ErrorBox, Field, Notice, Select, TextArea, useAction, useLoad } from "../ui";

const NORM_HOURS = 20;
const open = (match: Match) => match.status === "trial" || match.status === "active";

export function Plan(props: { match: Match }) {
  const vocabulary = useVocabulary();
  const path = { params: { path: { match_id: props.match.id } } };
  const { data: plan, error, setData } = useLoad(async () => must(await api.GET("/api/v1/matches/{match_id}/plan", path)), [props.match.id]);
  const [form, setForm] = useState<Schemas["PlanIn"] | null>(null);
  const [joint, setJoint] = useState("");
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (!plan) return;
    setForm({
      my_goals: plan.my_goals ?? [],
      joint_goals: plan.joint_goals,
      planned_meetings: plan.planned_meetings,
      hours_target: plan.hours_target,
      planned_activities: plan.planned_activities,
      start_date: plan.start_date,
      planned_end: plan.planned_end,
    });
    setJoint(plan.joint_goals.join("\n"));
  }, [plan?.updated_at, plan?.match_id]);
  const save = useAction(async () => {
    if (!form) return;
    const body = { ...form, joint_goals: joint.split("\n").map((line) => line.trim()).filter(Boolean) };
    setData(must(await api.PUT("/api/v1/matches/{match_id}/plan", { ...path, body })));
    setSaved(true);
  });
  if (!form || !vocabulary || !plan) return <ErrorBox error={error} />;
  const set = <K extends keyof Schemas["PlanIn"]>(key: K, value: Schemas["PlanIn"][K]) => {
    setSaved(false);
    setForm((old) => (old ? { ...old, [key]: value } : old));
  };
  const goals = vocabulary.goals.map((item) => ({ value: item.code, label: label(item) }));
  return (
    <form
      class="plan"
      onSubmit={(event) => {
        event.preventDefault();
        void save.run();
      }}
    >
      {!plan.stored && <Notice>{tr("Nog geen plan opgeslagen: dit is een voorstel uit jullie profielen.", "No plan stored yet: this is a proposal from your profiles.")}</Notice>}
      <Chips legend={tr("Mijn leerdoelen", "My learning goals")} options={goals} selected={form.my_goals ?? []} onChange={(value) => set("my_goals", value)} />
      {plan.partner_goals && plan.partner_goals.length > 0 && (
        <div>
          <h3>{tr(`Leerdoelen van ${props.match.partner.name}`, `${props.match.partner.name}'s learning goals`)}</h3>
          <ul>
            {plan.partner_goals.map((code) => (
              <li key={code}>{label(vocabulary.goals.find((item) => item.code === code))}</li>
            ))}
          </ul>
        </div>
      )}
      <TextArea label={tr("Gezamenlijke doelen (één per regel)", "Joint goals (one per line)")} rows={3} value={joint} onValue={(value) => { setSaved(false); setJoint(value); }} />
      <Field label={tr("Aantal ontmoetingen (richtlijn 6–8)", "Number of meetings (guideline 6–8)")} type="number" min={1} max={20} value={String(form.planned_meetings)} onValue={(value) => set("planned_meetings", Number(value))} />
      <Field label={tr("Uren in totaal (richtlijn 20)", "Hours in total (guideline 20)")} type="number" min={1} max={200} value={String(form.hours_target)} onValue={(value) => set("hours_target", Number(value))} />
      <Chips
        legend={tr("Geplande activiteiten", "Planned activities")}
        options={vocabulary.activities.map((item) => ({ value: item.code, label: label(item) }))}
        selected={form.planned_activities ?? []}
        onChange={(value) => set("planned_activities", value)}
      />
      <Field label={tr("Start", "Start")} type="date" required value={form.start_date} onValue={(value) => set("start_date", value)} />
      <Field label={tr("Gepland einde (3–6 maanden later)", "Planned end (3–6 months later)")} type="date" required value={form.planned_end} onValue={(value) => set("planned_end", value)} />
      <ErrorBox error={save.error} />
      {saved && <Notice>{tr("Plan opgeslagen.", "Plan saved.")}</Notice>}
      {open(props.match) && (
        <button type="submit" class="primary" disabled={save.busy}>
          {tr("Plan opslaan", "Save plan")}
        </button>
      )}
    </form>
  );
}

function today(): string {
  const now = new Date();
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}-${String(now.getDate()).padStart(2, "0")}`;
}

export function Meetings(props: { match: Match }) {
  const vocabulary = useVocabulary();
  const path = { params: { path: { match_id: props.match.id } } };
  const progress = useLoad(async () => must(await api.GET("/api/v1/matches/{match_id}/progress", path)), [props.match.id]);
  const meetings = useLoad(async () => must(await api.GET("/api/v1/matches/{match_id}/meetings", { params: { ...path.params, query: { limit: 100 } } })), [props.match.id]);
  const [date, setDate] = useState(today());
  const [hours, setHours] = useState("2");
  const [activity, setActivity] = useState("");
  const [note, setNote] = useState("");
  const log = useAction(async () => {
    must(await api.POST("/api/v1/matches/{match_id}/meetings", { ...path, body: { date, hours: Number(hours), activity, note: note.trim() || null } }));
    setNote("");
    progress.reload();
    meetings.reload();
  });
  const p = progress.data;
  return (
    <div class="meetings">
      <ErrorBox error={progress.error ?? meetings.error} />
      {p && (
        <section class="progress" aria-labelledby="progress-title" data-testid="progress">
          <h2 id="progress-title">{tr("Voortgang", "Progress")}</h2>
          <p>
            {tr(`${p.hours_logged} van ${p.hours_target} uur`, `${p.hours_logged} of ${p.hours_target} hours`)} · {tr(`${p.meetings} ontmoetingen`, `${p.meetings} meetings`)}
          </p>
          <progress max={p.hours_target} value={p.hours_logged} aria-label={tr("Gelogde uren", "Hours logged")} />
          <p class="hint">
            {tr(`Verwacht tot nu toe: ${p.expected_hours_by_now} uur.`, `Expected by now: ${p.expected_hours_by_now} hours.`)}{" "}
            {p.hours_target < NORM_HOURS && tr(`Let op: de norm is ${NORM_HOURS} uur.`, `Note: the norm is ${NORM_HOURS} hours.`)}
          </p>
          {p.on_track ? (
            <p class="ok">{tr("Jullie liggen op schema.", "You are on track.")}</p>
          ) : (
            <p class="at-risk" role="status">
              {tr(
                `Jullie lopen ${p.behind_by_hours} uur achter. Onder de ~10 uur haalde niemand zijn doelen: plan snel een ontmoeting.`,
                `You are ${p.behind_by_hours} hours behind. Under ~10 hours nobody reached their goals: plan a meeting soon.`,
              )}
            </p>
          )}
        </section>
      )}
      {open(props.match) && vocabulary && (
        <form
          class="log-meeting"
          onSubmit={(event) => {
            event.preventDefault();
            void log.run();
          }}
        >
          <h2>{tr("Ontmoeting vastleggen", "Log a meeting")}</h2>
          <Field label={tr("Datum", "Date")} type="date" required max={today()} value={date} onValue={setDate} />
          <Field label={tr("Uren", "Hours")} type="number" min={0.5} max={12} step="0.5" required value={hours} onValue={setHours} />
          <Select
            label={tr("Activiteit", "Activity")}
            required
            value={activity}
            onValue={setActivity}
            placeholder={tr("— kies —", "— choose —")}
            options={vocabulary.activities.map((item) => ({ value: item.code, label: label(item) }))}
          />
          <TextArea label={tr("Notitie (niet verplicht)", "Note (optional)")} maxLength={1000} value={note} onValue={setNote} />
          <ErrorBox error={log.error} />
          <button type="submit" class="primary" disabled={log.busy}>
            {tr("Vastleggen", "Log it")}
          </button>
        </form>
      )}
      <h2>{tr("Ontmoetingen", "Meetings")}</h2>
      {meetings.data?.items.length === 0 && <Notice>{tr("Nog niets vastgelegd.", "Nothing logged yet.")}</Notice>}
      <ul class="meeting-list">
        {meetings.data?.items.map((meeting) => (
          <li key={meeting.id}>
            <strong>{formatDate(meeting.date)}</strong> · {meeting.hours} {tr("uur", "h")} · {label(vocabulary?.activities.find((item) => item.code === meeting.activity))}
            {meeting.note && <p>{meeting.note}</p>}
          </li>
        ))}
      </ul>
    </div>
  );
}

const MIDTERM = [
  ["satisfaction", "Hoe tevreden ben je over je match?", "How satisfied are you with your match?"],
  ["personal_click", "Persoonlijke klik", "Personal click"],
  ["professional_click", "Professionele klik", "Professional click"],
  ["different_types", "We zijn totaal verschillende types", "We are totally different types"],
  ["match_importance", "Hoe belangrijk is deze match voor je?", "How important is this match to you?"],
  ["confidence", "Vertrouwen dat je je doelen haalt", "Confidence that you will reach your goals"],
] as const;

function Scale(props: { name: string; legend: string; value: number; onValue: (value: number) => void }) {
  return (
    <fieldset class="scale">
      <legend>{props.legend}</legend>
      {[1, 2, 3, 4, 5].map((n) => (
        <label key={n}>
          <input type="radio" name={props.name} value={n} checked={props.value === n} onChange={() => props.onValue(n)} />
          {n}
        </label>
      ))}
    </fieldset>
  );
}

export function Evaluations(props: { match: Match }) {
  const path = { params: { path: { match_id: props.match.id } } };
  const { data, error, reload } = useLoad(async () => must(await api.GET("/api/v1/matches/{match_id}/evaluations", path)), [props.match.id]);
  if (!data) return <ErrorBox error={error} />;
  const filed = (kind: "midterm" | "final", mine: boolean) => data.items.some((item) => item.kind === kind && item.mine === mine && item.filed);
  return (
    <div class="evaluations">
      <ErrorBox error={error} />
      <p class="hint">{tr("Je antwoorden ziet alleen de coördinator; je match ziet alleen dát je iets hebt ingevuld.", "Only the coordinator sees your answers; your match only sees that you filled something in.")}</p>
      {(["midterm", "final"] as const).map((kind) => (
        <section key={kind} aria-labelledby={`eval-${kind}`}>
          <h2 id={`eval-${kind}`}>{kind === "midterm" ? tr("Tussenmeting", "Midterm evaluation") : tr("Nameting", "Final evaluation")}</h2>
          <p>
            {filed(kind, false) ? tr(`${props.match.partner.name} heeft deze ingevuld.`, `${props.match.partner.name} has filled this in.`) : tr(`${props.match.partner.name} nog niet.`, `${props.match.partner.name} not yet.`)}
          </p>
          {filed(kind, true) ? (
            <Notice>{tr("Jij hebt deze ingevuld. Dank je!", "You have filled this in. Thank you!")}</Notice>
          ) : kind === "midterm" ? (
            <MidtermForm match={props.match} onDone={reload} />
          ) : (
            <FinalForm match={props.match} onDone={reload} />
          )}
        </section>
      ))}
    </div>
  );
}

function MidtermForm(props: { match: Match; onDone: () => void }) {
  const [answers, setAnswers] = useState<Record<string, number>>({});
  const [comment, setComment] = useState("");
  const complete = MIDTERM.every(([key]) => answers[key]);
  const { busy, error, run } = useAction(async () => {
    const body = { kind: "midterm", ...answers, comment: comment.trim() || null } as Schemas["MidtermIn"];
    must(await api.POST("/api/v1/matches/{match_id}/evaluations", { params: { path: { match_id: props.match.id } }, body }));
    props.onDone();
  });
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        void run();
      }}
    >
      <p class="hint">{tr("1 = helemaal niet, 5 = heel erg", "1 = not at all, 5 = very much")}</p>
      {MIDTERM.map(([key, nl, en]) => (
        <Scale key={key} name={`midterm-${key}`} legend={tr(nl, en)} value={answers[key] ?? 0} onValue={(value) => setAnswers((old) => ({ ...old, [key]: value }))} />
      ))}
      <TextArea label={tr("Opmerking (niet verplicht)", "Comment (optional)")} maxLength={1000} value={comment} onValue={setComment} />
      <ErrorBox error={error} />
      <button type="submit" class="primary" disabled={busy || !complete}>
        {tr("Tussenmeting versturen", "Send midterm evaluation")}
      </button>
    </form>
  );
}

function FinalForm(props: { match: Match; onDone: () => void }) {
  const vocabulary = useVocabulary();
  const [expectations, setExpectations] = useState(0);
  const [outcomes, setOutcomes] = useState<string[]>([]);
  const [hours, setHours] = useState("");
  const [willContinue, setWillContinue] = useState<"" | "yes" | "no" | "maybe">("");
  const [form, setForm] = useState("");
  const [comment, setComment] = useState("");
  const { busy, error, run } = useAction(async () => {
    const body: Schemas["FinalIn"] = {
      kind: "final",
      expectations_met: expectations,
      outcomes_reached: outcomes,
      hours_spent: Number(hours),
      will_continue: willContinue || "maybe",
      continue_form: form.trim() || null,
      comment: comment.trim() || null,
    };
    must(await api.POST("/api/v1/matches/{match_id}/evaluations", { params: { path: { match_id: props.match.id } }, body }));
    props.onDone();
  });
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        void run();
      }}
    >
      <Scale name="final-expectations" legend={tr("Zijn je verwachtingen uitgekomen?", "Were your expectations met?")} value={expectations} onValue={setExpectations} />
      <Chips legend={tr("Wat heb je bereikt?", "What did you reach?")} options={(vocabulary?.outcomes ?? []).map((item) => ({ value: item.code, label: label(item) }))} selected={outcomes} onChange={setOutcomes} />
      <Field label={tr("Hoeveel uur heb je eraan besteed?", "How many hours did you spend?")} type="number" min={0} max={500} step="0.5" required value={hours} onValue={setHours} />
      <Select
        label={tr("Gaan jullie door?", "Will you continue?")}
        required
        value={willContinue}
        onValue={(value) => setWillContinue(value as typeof willContinue)}
        placeholder={tr("— kies —", "— choose —")}
        options={[
          { value: "yes", label: tr("Ja", "Yes") },
          { value: "maybe", label: tr("Misschien", "Maybe") },
          { value: "no", label: tr("Nee", "No") },
        ]}
      />
      {willContinue !== "no" && <Field label={tr("In welke vorm?", "In what form?")} maxLength={500} value={form} onValue={setForm} />}
      <TextArea label={tr("Opmerking (niet verplicht)", "Comment (optional)")} maxLength={1000} value={comment} onValue={setComment} />
      <ErrorBox error={error} />
      <button type="submit" class="primary" disabled={busy || !expectations || !willContinue || hours === ""}>
        {tr("Nameting versturen", "Send final evaluation")}
      </button>
    </form>
  );
}
