/**
 * What counts as a secret, as data. Each text rule finds a secret *value* next to the context that
 * marks it as one (a key name, a scheme, a PEM armour line), so the context stays readable and only
 * the value becomes `REDACTED`. Networking data (addresses, MACs, CIDRs, iptables rules, FDB hex,
 * flannel backend-data, Corefiles) carries none of these contexts and passes through untouched.
 */

/** What every secret value is replaced with. */
export const REDACTED = 'REDACTED';

/**
 * A text rule. `pattern` is global; `replace` receives the match and its groups and returns the
 * replacement, or `undefined` to leave the match as it is (already redacted, or not a secret after
 * all), so counts only include real replacements.
 */
export interface TextRule {
  id: string;
  pattern: RegExp;
  replace: (match: string, groups: (string | undefined)[]) => string | undefined;
  /**
   * Also applies inside iptables-save rule lines (`-A CHAIN ...`). Only rules that recognise a
   * secret by its own shape do: key=value and flag rules would otherwise rewrite `--comment`
   * strings and match options, and a rule's text is evidence that must stay byte-exact.
   */
  inIptablesRules?: true;
}

/**
 * Key names whose value is a credential wherever they appear (kubeconfig, YAML, JSON, logs).
 * Anchored at the end so `tokenFile`, `secretName`, `automountServiceAccountToken` (booleans aside)
 * and `passwordFile` keep their values: those are references or paths, not secrets.
 */
const SECRET_KEY_NAME =
  '(?:[A-Za-z0-9_.-]*?(?:password|passwd|secret|token|api[_-]?key|apikey|private[_-]?key|client-key-data|client-certificate-data|certificate-authority-data|credentials?)|username)';

/** Object keys (for deep redaction of parsed objects) whose string values are credentials. */
export const SECRET_OBJECT_KEY =
  /^(?:.*(?:password|passwd|secret|token|api[_-]?key|apikey|private[_-]?key|client-key-data|client-certificate-data|certificate-authority-data|credentials?)|username)$/i;

/**
 * Environment variable names that hold secrets: `DB_PASSWORD`, `GITHUB_TOKEN`, `API_KEY`,
 * `AWS_SECRET_ACCESS_KEY`, anything ending in `_KEY`. Deliberately not `*_KEYFILE` or `*_NAME`.
 */
export const SECRET_ENV_NAME =
  /(?:PASSWORD|PASSWD|SECRET|TOKEN|CREDENTIAL|API_?KEY|ACCESS_?KEY|_KEY$|^KEY$)/i;

/**
 * Every rule below needs one of these words to match, so text without any of them (most IP
 * addresses, names and status strings of a 150,000-pod cluster) skips the rules entirely.
 * Keep it a superset of the rules' triggers when adding one.
 */
export const MAY_HOLD_SECRET =
  /BEGIN|eyJ|bearer|basic|:\/\/|pass|secret|token|key|certificate|credential|username/i;

function quoted(value: string): string {
  const q = value[0];
  return q === '"' || q === "'" ? `${q}${REDACTED}${q}` : REDACTED;
}

function isRedacted(value: string | undefined): boolean {
  if (value === undefined) return true;
  return value.replace(/["'\s]|\\n/g, '') === REDACTED;
}

function assignment(_m: string, [lead, name, value]: (string | undefined)[]): string | undefined {
  if (value === undefined || isRedacted(value) || value === '""' || value === "''") return undefined;
  return `${lead}${name}=${quoted(value)}`;
}

/**
 * The text rules, in the order they run. Order matters: whole PEM blocks go first so the base64
 * inside them is not half-matched by later rules; JWTs before key rules so a bare token in a log
 * line is caught even without a key name.
 */
export const TEXT_RULES: readonly TextRule[] = [
  {
    id: 'pem-block',
    inIptablesRules: true,
    // Private keys and certificates, also when the newlines are JSON-escaped (`\n`) inside a log line.
    pattern: /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g,
    replace: (_m, [label, body]) =>
      isRedacted(body) ? undefined : `-----BEGIN ${label}-----\n${REDACTED}\n-----END ${label}-----`,
  },
  {
    id: 'pem-private-key-unterminated',
    inIptablesRules: true,
    // A truncated log can cut a key before its END line; the armour alone still marks it.
    pattern: /(-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----)((?:\\n|\s|[A-Za-z0-9+/=])+)/g,
    replace: (_m, [head, body]) => (isRedacted(body) ? undefined : `${head}\n${REDACTED}\n`),
  },
  {
    id: 'jwt',
    inIptablesRules: true,
    pattern: /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}/g,
    replace: () => REDACTED,
  },
  {
    id: 'bearer',
    // `Authorization: Bearer x`, `"Bearer x"`, `bearer x` in client-go's request dumps.
    pattern: /\b(Bearer\s+)([A-Za-z0-9\-._~+/]+=*)/gi,
    replace: (_m, [head, value]) => (isRedacted(value) ? undefined : `${head}${REDACTED}`),
  },
  {
    id: 'basic-auth-header',
    pattern: /\b(Authorization:\s*Basic\s+)([A-Za-z0-9+/]+=*)/gi,
    replace: (_m, [head, value]) => (isRedacted(value) ? undefined : `${head}${REDACTED}`),
  },
  {
    id: 'url-password',
    // `scheme://user:pass@host` keeps the user, so a reader still sees which account was used.
    pattern: /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@[\]]+:)([^\s@/]+)(@)/gi,
    replace: (_m, [head, value, at]) => (isRedacted(value) ? undefined : `${head}${REDACTED}${at}`),
  },
  {
    id: 'json-secret-key',
    // `"token": "x"`, `"client-key-data":"x"`; only string values, so `"secret": {...}` volume sources stay.
    pattern: new RegExp(`("${SECRET_KEY_NAME}"\\s*:\\s*)"((?:[^"\\\\]|\\\\.)*)"`, 'gi'),
    replace: (_m, [head, value]) => (isRedacted(value) || value === '' ? undefined : `${head}"${REDACTED}"`),
  },
  {
    id: 'json-env-entry',
    // A container env entry inside JSON text (last-applied-configuration, logs): `{"name":"DB_PASSWORD","value":"x"}`.
    pattern: /(\{\s*"name"\s*:\s*"([^"]*)"\s*,\s*"value"\s*:\s*)"((?:[^"\\]|\\.)*)"/g,
    replace: (_m, [head, name, value]) =>
      name !== undefined && SECRET_ENV_NAME.test(name) && !isRedacted(value) && value !== ''
        ? `${head}"${REDACTED}"`
        : undefined,
  },
  {
    id: 'yaml-env-entry',
    // `- name: DB_PASSWORD` followed by `value: x` on the next line.
    pattern: /(-[ \t]+name:[ \t]*["']?([A-Za-z0-9_.-]+)["']?[ \t]*\r?\n[ \t]+value:[ \t]*)([^\s#][^\r\n]*)/g,
    replace: (_m, [head, name, value]) =>
      name !== undefined && SECRET_ENV_NAME.test(name) && value !== undefined && !isRedacted(value)
        ? `${head}${quoted(value)}`
        : undefined,
  },
  {
    id: 'yaml-secret-key',
    // `token: x`, `client-key-data: x`, `password: "x"` at the start of a (possibly list) line.
    pattern: new RegExp(
      `^([ \\t]*(?:-[ \\t]+)?["']?${SECRET_KEY_NAME}["']?[ \\t]*:[ \\t]+)([^\\s#{\\[|>][^\\r\\n]*)`,
      'gim',
    ),
    replace: (_m, [head, value]) =>
      value === undefined || isRedacted(value) || /^(?:true|false|null|~)$/i.test(value.trim())
        ? undefined
        : `${head}${quoted(value)}`,
  },
  {
    id: 'flag-with-space',
    // `--token abc`, `--password abc` on a command line.
    pattern: /(--[a-z0-9-]*?(?:token|password|secret|api-key)[ \t]+)([^\s-][^\s]*)/gi,
    replace: (_m, [head, value]) => (isRedacted(value) ? undefined : `${head}${REDACTED}`),
  },
  {
    id: 'assignment',
    // `PASSWORD=x`, `AWS_SECRET_ACCESS_KEY=x`, `--token=x`, `?access_token=x`, `token=x` in logfmt.
    pattern:
      /(^|[\s?&;,"'(])([A-Za-z0-9_.-]*?(?:password|passwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credentials?))=("[^"]*"|'[^']*'|[^\s&"',;)]+)/gim,
    replace: assignment,
  },
  {
    id: 'env-key-assignment',
    // `SIGNING_KEY=x`: upper-case only, so lower-case option names such as `hash_key=` are left alone.
    pattern: /(^|[\s?&;,"'(])([A-Z0-9_]*_KEY)=("[^"]*"|'[^']*'|[^\s&"',;)]+)/gm,
    replace: assignment,
  },
];
