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
  '(?:[A-Za-z0-9_.-]*?(?:password|passwd|secret|token|api[_-]?key|apikey|private[_-]?key|privatekey|client-key-data|client-certificate-data|certificate-authority-data|credentials?)|username|auth|tls\\.key|\\.dockerconfigjson|\\.dockercfg)';

/** Object keys (for deep redaction of parsed objects) whose string values are credentials. */
export const SECRET_OBJECT_KEY =
  /^(?:.*(?:password|passwd|secret|token|api[_-]?key|apikey|private[_-]?key|privatekey|client-key-data|client-certificate-data|certificate-authority-data|credentials?)|username|auth|tls\.key|\.dockerconfigjson|\.dockercfg)$/i;

/**
 * A command-line flag whose next argument is a secret (`--token`, `--auth-token`, `--password`,
 * `--client-secret`, `--api-key`), for args given as separate array elements: `['--token', 'x']`.
 * The flag must end with the word, so `--token-ttl` or `--secret-name` keep their values.
 */
export const SECRET_FLAG =
  /^--?[a-z0-9-]*(?:token|password|passwd|secret|api-?key|access-key|credentials?)$/i;

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
  /BEGIN|eyJ|bearer|basic|:\/\/|pass|secret|token|key|certificate|credential|username|auth|AKIA|ASIA|AIza|GOCSPX|gh[pousr]_|github_pat|gl[a-z]{2,4}-|[sr]k_(?:live|test)|xox[abposr]-|npm_|pypi-|sk-|SG\.|sig=|login|:AA/i;

/** Tokens recognised by their own prefix and shape, wherever they appear. */
const SHAPED_TOKENS = [
  // AWS access key ids (long-term AKIA, temporary ASIA, and the other IAM id kinds)
  '(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}',
  // GitHub: classic, OAuth, user-to-server, server-to-server, refresh; fine-grained
  'gh[pousr]_[A-Za-z0-9]{36,255}',
  'github_pat_[A-Za-z0-9_]{22,255}',
  // GitLab personal, pipeline trigger, deploy and other prefixed tokens
  'gl(?:pat|ptt|dt|rt|cbt|imt|oas|soat|ft|agent)-[A-Za-z0-9_-]{20,}',
  // Stripe secret and restricted keys
  '[sr]k_(?:live|test)_[A-Za-z0-9]{16,}',
  // Slack bot, user, app and refresh tokens
  'xox[abposr]-[A-Za-z0-9-]{10,}',
  // Google API key, Google OAuth client secret
  'AIza[0-9A-Za-z_-]{35}',
  'GOCSPX-[A-Za-z0-9_-]{20,}',
  // npm, PyPI
  'npm_[A-Za-z0-9]{36}',
  'pypi-[A-Za-z0-9_-]{50,}',
  // OpenAI and Anthropic API keys
  'sk-(?:proj-|ant-(?:api\\d\\d-)?)?[A-Za-z0-9_-]{32,}',
  // SendGrid
  'SG\\.[A-Za-z0-9_-]{16,}\\.[A-Za-z0-9_-]{16,}',
  // HashiCorp Vault service and batch tokens
  'hv[sb]\\.[A-Za-z0-9_-]{20,}',
];

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
    id: 'shaped-token',
    inIptablesRules: true,
    pattern: new RegExp(`(?<![A-Za-z0-9_-])(?:${SHAPED_TOKENS.join('|')})(?![A-Za-z0-9_-])`, 'g'),
    replace: () => REDACTED,
  },
  {
    id: 'telegram-bot-token',
    inIptablesRules: true,
    // `123456789:AA...`, also inside the API URL (`/bot123456789:AA.../sendMessage`).
    pattern: /(?<!\d)(\d{8,10}:)(AA[A-Za-z0-9_-]{33})(?![A-Za-z0-9_-])/g,
    replace: (_m, [head]) => `${head}${REDACTED}`,
  },
  {
    id: 'chat-webhook',
    inIptablesRules: true,
    // Slack, Discord and Teams incoming webhooks: the URL itself is the credential.
    pattern:
      /(https:\/\/(?:hooks\.slack\.com\/(?:services|workflows|triggers)\/|(?:ptb\.|canary\.)?discord(?:app)?\.com\/api\/webhooks\/|[a-z0-9-]+\.webhook\.office\.com\/webhookb2\/|outlook\.office(?:365)?\.com\/webhook\/))([^\s"'<>]+)/gi,
    replace: (_m, [head, value]) => (isRedacted(value) ? undefined : `${head}${REDACTED}`),
  },
  {
    id: 'connection-string-key',
    // Azure connection strings: `AccountKey=...;`, `SharedAccessKey=...`, `SharedAccessSignature=sv=...&sig=...`.
    pattern: /\b((?:AccountKey|SharedAccessKey|SharedAccessSignature)=)([^;\s"']+)/g,
    replace: (_m, [head, value]) => (isRedacted(value) ? undefined : `${head}${REDACTED}`),
  },
  {
    id: 'sas-signature',
    // The signature of a shared access signature URL (`?sv=...&sig=...`).
    pattern: /([?&;]sig=)([^&\s"';]+)/g,
    replace: (_m, [head, value]) => (isRedacted(value) ? undefined : `${head}${REDACTED}`),
  },
  {
    id: 'authorization-header',
    // `Authorization: <scheme> <credential>` for any scheme (`token`, `Splunk`, `Digest`...).
    pattern: /\b((?:Proxy-)?Authorization:[ \t]*(?:[A-Za-z][A-Za-z0-9-]*[ \t]+)?)([^\s"',;]+)/gi,
    replace: (_m, [head, value]) => (isRedacted(value) ? undefined : `${head}${REDACTED}`),
  },
  {
    id: 'credential-header',
    // `X-API-Key: x`, `X-Auth-Token: x`, `X-Vault-Token: x`, GitLab's `PRIVATE-TOKEN: x`, anywhere on a line.
    pattern: /\b((?:X-[A-Za-z0-9-]*(?:Key|Token|Secret)|Private-Token|Api-Key)[ \t]*:[ \t]*)([^\s"',;]+)/gi,
    replace: (_m, [head, value]) => (isRedacted(value) ? undefined : `${head}${REDACTED}`),
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
    // `scheme://user:pass@host` keeps the user, so a reader still sees which account was used. The
    // password runs to the last `@` that is followed by a host, so one holding `@` or `/` goes
    // whole; a port (`host:5000/img@sha256:...`) is not a password, and a digest is not a host.
    pattern:
      /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@[\]"']*:)(?!\d+(?:[/@\s]|$))([^\s"']+)(@)(?!sha(?:256|384|512):)(?=[A-Za-z0-9.[\]:-]+(?:[/?#\s"',)]|$))/gi,
    replace: (_m, [head, value, at]) => (isRedacted(value) ? undefined : `${head}${REDACTED}${at}`),
  },
  {
    id: 'userinfo-flag',
    // `curl -u user:pass`, `--user user:pass`: the part after the colon.
    pattern: /((?:^|\s)(?:-u|--user)[ \t]+[^\s:]+:)([^\s"']+)/g,
    replace: (_m, [head, value]) => (isRedacted(value) ? undefined : `${head}${REDACTED}`),
  },
  {
    id: 'netrc',
    // `machine host login user password pass`, as .netrc and git credential helpers write it.
    pattern: /(\blogin[ \t]+\S+[ \t]+password[ \t]+)(\S+)/g,
    replace: (_m, [head, value]) => (isRedacted(value) ? undefined : `${head}${REDACTED}`),
  },
  {
    id: 'directive-secret',
    // Config directives written `password X` or `credentials USER X` on a line of their own
    // (CoreDNS's etcd plugin, nginx, .netrc); only whole lines, so prose about passwords stays.
    pattern: /^([ \t]*(?:password|passwd|secret|token|credentials[ \t]+\S+)[ \t]+)(\S+)([ \t]*)$/gim,
    replace: (_m, [head, value, tail]) => (isRedacted(value) ? undefined : `${head}${REDACTED}${tail ?? ''}`),
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
    id: 'inline-secret-key',
    // `token: x`, `api_key: x` after other text on a line (a log line's timestamp, a message). A
    // value that is itself `name:` is the next field of Go's `%+v` (`etcdPassword: kubeSubnetMgr:true`).
    pattern: new RegExp(
      `((?:^|[\\s{,(\\[])["']?${SECRET_KEY_NAME}["']?[ \\t]*:[ \\t]+)(?!["']?(?:true|false|null)\\b|[A-Za-z0-9_]+:)(["']?[^\\s#{\\[|>,"'][^\\s,"'}]*)`,
      'gi',
    ),
    replace: (_m, [head, value]) => (isRedacted(value) ? undefined : `${head}${REDACTED}`),
  },
  {
    id: 'spaced-assignment',
    // `aws_secret_access_key = x` (INI files, AWS credentials), `password = x`.
    pattern:
      /((?:^|\s)[A-Za-z0-9_.-]*?(?:password|passwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credentials?)[ \t]+=[ \t]*|(?:^|\s)[A-Za-z0-9_.-]*?(?:password|passwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credentials?)=[ \t]+)("[^"\r\n]*"|'[^'\r\n]*'|[^\s"',;]+)/gim,
    replace: (_m, [head, value]) => (isRedacted(value) ? undefined : `${head}${quoted(value ?? '')}`),
  },
  {
    id: 'flag-with-space',
    // `--token abc`, `--password abc` on a command line.
    pattern: /(--[a-z0-9-]*?(?:token|password|passwd|secret|api-?key|access-key)[ \t]+)([^\s-][^\s]*)/gi,
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
