import type { LabelSelector, LabelSelectorRequirement } from '../core/cluster-types.ts';

/** A selector requirement that a label set fails, in words a person can compare. */
export interface FailedRequirement {
  key: string;
  /** e.g. `app=fronted`, `tier in (web,api)`, `has team`. */
  requirement: string;
  /** e.g. `app=frontend`, `(no app label)`. */
  actual: string;
  /** The value the selector asks for, when it asks for exactly one (used for typo distance). */
  wanted?: string;
}

function describeExpression(r: LabelSelectorRequirement): string {
  const vals = (r.values ?? []).join(',');
  switch (r.operator) {
    case 'In':
      return `${r.key} in (${vals})`;
    case 'NotIn':
      return `${r.key} notin (${vals})`;
    case 'Exists':
      return `has ${r.key}`;
    case 'DoesNotExist':
      return `!${r.key}`;
  }
}

function actualOf(labels: Record<string, string>, key: string): string {
  return Object.hasOwn(labels, key) ? `${key}=${labels[key]}` : `(no ${key} label)`;
}

/**
 * Every requirement of `selector` that `labels` fail (empty: the selector matches). Same
 * semantics as selectorMatches; this one says *which* requirements fail, which is what a
 * near-miss needs.
 */
export function failingRequirements(
  selector: LabelSelector,
  labels: Record<string, string> | undefined,
): FailedRequirement[] {
  const l = labels ?? {};
  const out: FailedRequirement[] = [];
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (l[k] !== v) out.push({ key: k, requirement: `${k}=${v}`, actual: actualOf(l, k), wanted: v });
  }
  for (const r of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(l, r.key);
    const val = l[r.key] as string;
    const values = r.values ?? [];
    const ok =
      r.operator === 'In'
        ? has && values.includes(val)
        : r.operator === 'NotIn'
          ? !(has && values.includes(val))
          : r.operator === 'Exists'
            ? has
            : !has;
    if (!ok) {
      const f: FailedRequirement = {
        key: r.key,
        requirement: describeExpression(r),
        actual: actualOf(l, r.key),
      };
      if (r.operator === 'In' && values.length === 1) f.wanted = values[0] as string;
      out.push(f);
    }
  }
  return out;
}

/** `{app=web, tier in (a,b)}`; `{}` for the empty selector (which selects everything). */
export function describeSelector(selector: LabelSelector | undefined): string {
  if (!selector) return '{}';
  const parts = [
    ...Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`),
    ...(selector.matchExpressions ?? []).map(describeExpression),
  ];
  return `{${parts.join(', ')}}`;
}
