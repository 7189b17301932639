// The task filter form: every SDK filter.
import { useId, useState } from "react";
import type { Batch } from "../bindings/Batch";
import { statusLabel } from "../components/ui";
import { useT } from "../i18n";
import {
  OPTIONAL_FIELDS,
  OPTIONAL_FIELD_LABELS,
  TASK_STATUSES,
  parseLines,
  parseList,
  type DateBound,
  type FilterForm,
  type KeyValue,
} from "../lib/filterForm";

export function FilterPanel({
  form,
  setForm,
  batches,
  errors,
  onApply,
  onReset,
  loading,
}: {
  form: FilterForm;
  setForm: (f: FilterForm) => void;
  batches: Batch[];
  errors: Record<string, string>;
  onApply: () => void;
  onReset: () => void;
  loading: boolean;
}) {
  const id = useId();
  const t = useT();
  const toggle = (list: string[], v: string) => (list.includes(v) ? list.filter((x) => x !== v) : [...list, v]);
  const ids = parseList(form.taskIds).length;
  const names = parseLines(form.names).length;
  const hasErrors = Object.keys(errors).length > 0;

  return (
    <form
      className="filters"
      aria-label={t("filter.label")}
      onSubmit={(e) => {
        e.preventDefault();
        if (!hasErrors) onApply();
      }}
    >
      <div className="filters-body">
        <h2 style={{ marginTop: 0 }}>{t("filter.title")}</h2>
        <fieldset className="checks">
          <legend>{t("filter.batches")}</legend>
          {batches.length === 0 && <span className="muted small">{t("filter.noBatch")}</span>}
          {batches.map((b) => (
            <label key={b.id}>
              <input
                type="checkbox"
                name="batch"
                value={b.id}
                checked={form.batchIds.includes(b.id)}
                onChange={() => setForm({ ...form, batchIds: toggle(form.batchIds, b.id) })}
              />
              {b.name}
            </label>
          ))}
        </fieldset>
        <fieldset className="checks">
          <legend>{t("filter.statuses")}</legend>
          {TASK_STATUSES.map((s) => (
            <label key={s}>
              <input
                type="checkbox"
                name="status"
                value={s}
                checked={form.statuses.includes(s)}
                onChange={() => setForm({ ...form, statuses: toggle(form.statuses, s) })}
              />
              {statusLabel(s)}
            </label>
          ))}
        </fieldset>
        <div className="field">
          <label htmlFor={`${id}-like`}>{t("filter.nameLike")}</label>
          <input
            id={`${id}-like`}
            name="nameLike"
            type="text"
            value={form.nameLike}
            placeholder={t("filter.nameLikePlaceholder")}
            aria-invalid={errors.nameLike ? true : undefined}
            aria-describedby={`${id}-like-msg`}
            onChange={(e) => setForm({ ...form, nameLike: e.target.value })}
            style={{ width: "100%" }}
          />
          <div id={`${id}-like-msg`} className={errors.nameLike ? "error" : "hint"} role="status">
            {errors.nameLike ?? t("filter.nameLikeHint")}
          </div>
        </div>
        <div className="field">
          <label htmlFor={`${id}-names`}>{t("filter.names")}</label>
          <textarea
            id={`${id}-names`}
            name="names"
            rows={2}
            value={form.names}
            onChange={(e) => setForm({ ...form, names: e.target.value })}
          />
          {names > 0 && <div className="hint">{t("filter.namesCount", { count: names })}</div>}
        </div>
        <div className="field">
          <label htmlFor={`${id}-ids`}>{t("filter.taskIds")}</label>
          <textarea
            id={`${id}-ids`}
            name="taskIds"
            rows={2}
            value={form.taskIds}
            placeholder={t("filter.taskIdsPlaceholder")}
            onChange={(e) => setForm({ ...form, taskIds: e.target.value })}
          />
          {ids > 0 && <div className="hint">{t("filter.idsCount", { count: ids })}</div>}
        </div>
        <KeyValueRows
          legend={t("filter.data")}
          keyLabel={(n) => t("filter.dataKeyN", { n })}
          valueLabel={(n) => t("filter.dataValueN", { n })}
          addLabel={t("filter.addData")}
          rows={form.data}
          errors={errors}
          errorPrefix="data"
          onChange={(rows) => setForm({ ...form, data: rows })}
        />
        <KeyValueRows
          legend={t("filter.properties")}
          keyLabel={(n) => t("filter.propertyKeyN", { n })}
          valueLabel={(n) => t("filter.propertyValueN", { n })}
          addLabel={t("filter.addProperty")}
          rows={form.properties}
          errors={errors}
          errorPrefix="properties"
          onChange={(rows) => setForm({ ...form, properties: rows })}
          placeholder={t("filter.propertyPlaceholder")}
        />
        <DateRange
          legend={t("filter.created")}
          name="created"
          from={form.createdFrom}
          to={form.createdTo}
          errors={errors}
          onChange={(from, to) => setForm({ ...form, createdFrom: from, createdTo: to })}
        />
        <DateRange
          legend={t("filter.updated")}
          name="updated"
          from={form.updatedFrom}
          to={form.updatedTo}
          errors={errors}
          onChange={(from, to) => setForm({ ...form, updatedFrom: from, updatedTo: to })}
        />
        <fieldset className="checks">
          <legend>{t("filter.alsoLoad")}</legend>
          {OPTIONAL_FIELDS.map((f) => (
            <label key={f}>
              <input
                type="checkbox"
                name="optionalField"
                value={f}
                checked={form.optionalFields.includes(f)}
                onChange={() => setForm({ ...form, optionalFields: toggle(form.optionalFields, f) })}
              />
              {t(OPTIONAL_FIELD_LABELS[f])}
            </label>
          ))}
        </fieldset>
      </div>
      <div className="actions row">
        <button type="submit" className="primary" disabled={hasErrors} data-testid="apply-filter">
          {loading ? t("filter.searchAgain") : t("filter.search")}
        </button>
        <button type="button" onClick={onReset}>
          {t("filter.clear")}
        </button>
      </div>
    </form>
  );
}

function KeyValueRows({
  legend,
  keyLabel,
  valueLabel,
  addLabel,
  rows,
  errors,
  errorPrefix,
  onChange,
  placeholder,
}: {
  legend: string;
  keyLabel: (n: number) => string;
  valueLabel: (n: number) => string;
  addLabel: string;
  rows: KeyValue[];
  errors: Record<string, string>;
  errorPrefix: string;
  onChange: (rows: KeyValue[]) => void;
  placeholder?: string;
}) {
  const t = useT();
  const set = (i: number, patch: Partial<KeyValue>) =>
    onChange(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <fieldset>
      <legend>{legend}</legend>
      {rows.map((r, i) => (
        <div key={i}>
          <div className="kv">
            <input
              type="text"
              aria-label={keyLabel(i + 1)}
              name={`${errorPrefix}-key`}
              placeholder={placeholder ?? t("filter.keyPlaceholder")}
              value={r.key}
              onChange={(e) => set(i, { key: e.target.value })}
            />
            <input
              type="text"
              aria-label={valueLabel(i + 1)}
              name={`${errorPrefix}-value`}
              placeholder={t("filter.valuePlaceholder")}
              value={r.value}
              onChange={(e) => set(i, { value: e.target.value })}
            />
            <button type="button" aria-label={t("filter.removeRowN", { n: i + 1 })} title={t("filter.removeRowN", { n: i + 1 })} onClick={() => onChange(rows.filter((_, j) => j !== i))}>
              ✕
            </button>
          </div>
          {errors[`${errorPrefix}.${i}`] && <div className="error small">{errors[`${errorPrefix}.${i}`]}</div>}
        </div>
      ))}
      <button type="button" className="link" onClick={() => onChange([...rows, { key: "", value: "" }])}>
        {addLabel}
      </button>
    </fieldset>
  );
}

function DateRange({
  legend,
  name,
  from,
  to,
  errors,
  onChange,
}: {
  legend: string;
  name: string;
  from: DateBound;
  to: DateBound;
  errors: Record<string, string>;
  onChange: (from: DateBound, to: DateBound) => void;
}) {
  const t = useT();
  return (
    <fieldset>
      <legend>{legend}</legend>
      <div className="daterow">
        <select
          aria-label={t("filter.fromOp", { legend })}
          name={`${name}-from-op`}
          value={from.op}
          onChange={(e) => onChange({ ...from, op: e.target.value as DateBound["op"] }, to)}
        >
          <option value=">=">{t("filter.opFrom")}</option>
          <option value=">">{t("filter.opAfter")}</option>
        </select>
        <DateInput
          name={`${name}-from`}
          label={t("filter.fromDate", { legend })}
          value={from.value}
          invalid={Boolean(errors[`${name}From`])}
          onChange={(value) => onChange({ ...from, value }, to)}
        />
      </div>
      {errors[`${name}From`] && <div className="error small">{errors[`${name}From`]}</div>}
      <div className="daterow">
        <select
          aria-label={t("filter.toOp", { legend })}
          name={`${name}-to-op`}
          value={to.op}
          onChange={(e) => onChange(from, { ...to, op: e.target.value as DateBound["op"] })}
        >
          <option value="<=">{t("filter.opUntil")}</option>
          <option value="<">{t("filter.opBefore")}</option>
        </select>
        <DateInput
          name={`${name}-to`}
          label={t("filter.toDate", { legend })}
          value={to.value}
          invalid={Boolean(errors[`${name}To`])}
          onChange={(value) => onChange(from, { ...to, value })}
        />
      </div>
      {errors[`${name}To`] && <div className="error small">{errors[`${name}To`]}</div>}
    </fieldset>
  );
}

/**
 * A date and time bound. Empty and not focused, it is a plain field saying "any time": WebKit's
 * date field shows a greyed sample date when empty, which reads as a bound already set. It
 * becomes the date-and-time field when focused or filled.
 */
function DateInput({
  name,
  label,
  value,
  invalid,
  onChange,
}: {
  name: string;
  label: string;
  value: string;
  invalid: boolean;
  onChange: (value: string) => void;
}) {
  const t = useT();
  const [focused, setFocused] = useState(false);
  const blank = value === "" && !focused;
  return (
    <input
      type={blank ? "text" : "datetime-local"}
      step={blank ? undefined : 1}
      name={name}
      aria-label={label}
      placeholder={blank ? t("filter.anyTime") : undefined}
      value={value}
      aria-invalid={invalid ? true : undefined}
      onFocus={() => setFocused(true)}
      onBlur={() => setFocused(false)}
      onChange={(e) => onChange(e.target.value)}
    />
  );
}
