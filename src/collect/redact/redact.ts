/**
 * Redaction: pure functions that take secrets out of text and objects before anything is written
 * to a bundle. A bundle is meant to be pasted into tickets, so whatever could authenticate as
 * someone (tokens, keys, passwords) must not survive, while every byte a diagnosis needs does.
 */
import {
  MAY_HOLD_SECRET,
  REDACTED,
  SECRET_ENV_NAME,
  SECRET_FLAG,
  SECRET_OBJECT_KEY,
  TEXT_RULES,
} from './patterns.ts';

/** Redacted text and how many secrets were replaced in it. */
export interface RedactedText {
  text: string;
  count: number;
}

/** Replaces every secret value found in `text` with `REDACTED`. Idempotent. */
export function redactText(text: string): RedactedText {
  if (!MAY_HOLD_SECRET.test(text)) return { text, count: 0 };
  let count = 0;
  let out = text;
  for (const rule of TEXT_RULES) {
    rule.pattern.lastIndex = 0;
    out = out.replace(rule.pattern, (match: string, ...rest: unknown[]) => {
      // String.replace passes the groups, then the offset and the whole string.
      const whole = rest.at(-1) as string;
      const offset = rest.at(-2) as number;
      if (!rule.inIptablesRules && inIptablesRule(whole, offset)) return match;
      const groups = rest.slice(0, -2) as (string | undefined)[];
      const replaced = rule.replace(match, groups);
      if (replaced === undefined || replaced === match) return match;
      count++;
      return replaced;
    });
  }
  return { text: out, count };
}

/** Whether `offset` lies on an iptables-save rule line (`-A CHAIN ...` / `-I CHAIN ...`). */
function inIptablesRule(text: string, offset: number): boolean {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  return text.startsWith('-A ', start) || text.startsWith('-I ', start);
}

/** Deep-redacts a JSON-like value and returns a new value; the input is not modified. */
export function redactValue<T>(value: T): T {
  return redactValueCounted(value).value;
}

/** {@link redactValue}, also telling how many secrets were replaced. */
export function redactValueCounted<T>(value: T): { value: T; count: number } {
  const counter = { n: 0 };
  const out = walk(value, counter) as T;
  return { value: out, count: counter.n };
}

function walk(value: unknown, counter: { n: number }): unknown {
  if (typeof value === 'string') return redactString(value, counter);
  if (Array.isArray(value)) return walkArray(value, counter);
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const envSecret = isSecretEnvEntry(obj);
  for (const [key, v] of Object.entries(obj)) {
    if (typeof v === 'string' && v !== '' && v !== REDACTED) {
      if ((envSecret && key === 'value') || SECRET_OBJECT_KEY.test(key)) {
        counter.n++;
        out[key] = REDACTED;
        continue;
      }
    }
    out[key] = walk(v, counter);
  }
  return out;
}

/**
 * An array, with command-line arguments in mind: the element after a secret flag given on its
 * own (`['--token', 'x']`) is the secret, which no text rule can see from the value alone.
 */
function walkArray(list: unknown[], counter: { n: number }): unknown[] {
  return list.map((v, i) => {
    const prev = list[i - 1];
    if (typeof v === 'string' && v !== REDACTED && typeof prev === 'string' && SECRET_FLAG.test(prev)) {
      counter.n++;
      return REDACTED;
    }
    return walk(v, counter);
  });
}

/** A container env entry (`{name, value}`) whose name says it holds a secret. */
function isSecretEnvEntry(obj: Record<string, unknown>): boolean {
  return typeof obj['name'] === 'string' && 'value' in obj && SECRET_ENV_NAME.test(obj['name']);
}

/**
 * Strings that hold a JSON document (kubectl's last-applied-configuration annotation, a CNI
 * config in a ConfigMap) are redacted as the objects they encode, so an env entry's value is
 * found by structure rather than by text layout. They are re-serialised only when something
 * changed, so untouched JSON keeps its original bytes.
 */
function redactString(text: string, counter: { n: number }): string {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (parsed !== undefined && typeof parsed === 'object' && parsed !== null) {
      const inner = { n: 0 };
      const redacted = walk(parsed, inner);
      if (inner.n === 0) return text;
      counter.n += inner.n;
      return JSON.stringify(redacted) + (text.endsWith('\n') ? '\n' : '');
    }
  }
  const r = redactText(text);
  counter.n += r.count;
  return r.text;
}
