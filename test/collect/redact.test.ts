import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { REDACTED } from '../../src/collect/redact/patterns.ts';
import { redactText, redactValue, redactValueCounted } from '../../src/collect/redact/redact.ts';
import { bundleNetnsName, deleteNetns } from './node-capture.ts';

/** Asserts none of `secrets` survives in `text`. */
function assertGone(text: string, secrets: readonly string[]): void {
  for (const s of secrets) assert.ok(!text.includes(s), `secret ${JSON.stringify(s)} survived in:\n${text}`);
}

const CA_DATA =
  'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUMvakNDQWVhZ0F3SUJBZ0lCQURBTkJna3Foa2lHOXcwQkFRc0ZBREFWTVJNd0VRWURWUVFERXdwcmRXSmwKY201bGRHVnpNQjRYRFRJME1ETXhNakV3TURBd01Gb1hEVE0wTURNeE1ERXdNREF3TUZvd0ZURVRNQkVHQTFVRQo=';
const CERT_DATA =
  'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSURJVENDQWdtZ0F3SUJBZ0lJYjBtT2ZrZ1Q4aTR3RFFZSktvWklodmNOQVFFTEJRQXdGVEVUTUJFR0ExVUUKQXhNS2EzVmlaWEp1WlhSbGN6QWVGdzB5TkRBek1USXhNREF3TURCYUZ3MHlOVEF6TVRJeE1EQXdNREJhTURReApGekFWQmdOVkJBb1REbk41YzNSbGJUcHRZWE4wWlhKek1Sa3dGd1lEVlFRREV4QnJkV0psY201bGRHVnpMV0ZrCg==';
const KEY_DATA =
  'LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlFb3dJQkFBS0NBUUVBdzJ5bVhUZzRkbk5wYkdWMmNHbHVaMjEwYUdWMFpYTjBhMlY1Wm05eWJtVjBaRzlqCg==';
const SA_TOKEN =
  'eyJhbGciOiJSUzI1NiIsImtpZCI6Ik1ZZzNfc1R4In0.eyJhdWQiOlsiaHR0cHM6Ly9rdWJlcm5ldGVzLmRlZmF1bHQuc3ZjIl0sInN1YiI6InN5c3RlbTpzZXJ2aWNlYWNjb3VudDprdWJlLXN5c3RlbTprdWJlLXByb3h5In0.QmFkU2lnbmF0dXJlRm9yVGVzdGluZ09ubHlfX19fX18';
const BOOTSTRAP_TOKEN = 'abcdef.0123456789abcdef';

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: ${CA_DATA}
    server: https://192.168.56.11:6443
  name: lab
contexts:
- context:
    cluster: lab
    namespace: kube-system
    user: kubernetes-admin
  name: kubernetes-admin@lab
- context:
    cluster: lab
    user: ops
  name: ops@lab
current-context: kubernetes-admin@lab
preferences: {}
users:
- name: kubernetes-admin
  user:
    client-certificate-data: ${CERT_DATA}
    client-key-data: ${KEY_DATA}
- name: ci-bot
  user:
    token: ${SA_TOKEN}
- name: bootstrap
  user:
    token: ${BOOTSTRAP_TOKEN}
- name: ops
  user:
    username: ops-admin
    password: "Tr0ub4dor&3"
- name: oidc
  user:
    auth-provider:
      config:
        client-id: kubernetes
        client-secret: 1db158f6-177d-4d9c-8a8b-d36869918ec5
        id-token: ${SA_TOKEN}
        idp-issuer-url: https://dex.example.internal
        refresh-token: Cgl0ZXN0LXVzZXISDwoFbG9jYWwSBmxvY2Fs
      name: oidc
`;

const PEM_KEY = `-----BEGIN RSA PRIVATE KEY-----
MIIEowIBAAKCAQEAw2ymXTg4dnNpbGV2cGluZ210aGV0ZXN0a2V5Zm9ybmV0ZG9j
dG9ydGVzdHNvbmx5bm90YXJlYWxrZXlidXRsb29rc2xpa2VvbmVhbnl3YXlzbzEy
-----END RSA PRIVATE KEY-----`;

const COREFILE = `.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    hosts /etc/coredns/NodeHosts {
       192.168.56.11 node-1
       fe80::5054:ff:fe12:3451 node-1
       ttl 60
       reload 15s
       fallthrough
    }
    prometheus :9153
    forward . 8.8.8.8 1.1.1.1 {
       max_concurrent 1000
       policy sequential
    }
    rewrite name regex (.*)\\.token\\.internal {1}.svc.cluster.local
    cache 30
    loop
    reload
    loadbalance
}
`;

describe('redactText', () => {
  it('removes every credential from a full kubeconfig and keeps the rest readable', () => {
    const { text, count } = redactText(KUBECONFIG);
    assertGone(text, [CA_DATA, CERT_DATA, KEY_DATA, SA_TOKEN, BOOTSTRAP_TOKEN, 'Tr0ub4dor&3', 'ops-admin']);
    assertGone(text, ['1db158f6-177d-4d9c-8a8b-d36869918ec5', 'Cgl0ZXN0LXVzZXISDwoFbG9jYWwSBmxvY2Fs']);
    assert.ok(text.includes('server: https://192.168.56.11:6443'));
    assert.ok(text.includes('current-context: kubernetes-admin@lab'));
    assert.ok(text.includes('client-id: kubernetes'));
    assert.ok(text.includes('    client-key-data: REDACTED\n'));
    assert.ok(text.includes('    password: "REDACTED"\n'));
    // ca, cert, key, 2 tokens, username, password, client-secret, id-token, refresh-token
    assert.equal(count, 10);
  });

  it('redacts a bearer token in a kube-proxy request dump and keeps the URL', () => {
    const line = `I0312 10:04:58.102 1 round_trippers.go:466] curl -v -XGET  -H "Accept: application/vnd.kubernetes.protobuf, */*" -H "Authorization: Bearer ${SA_TOKEN}" 'https://192.168.56.11:6443/api/v1/nodes/node-2'`;
    const { text, count } = redactText(line);
    assertGone(text, [SA_TOKEN]);
    assert.ok(text.includes('"Authorization: Bearer REDACTED"'));
    assert.ok(text.includes("'https://192.168.56.11:6443/api/v1/nodes/node-2'"));
    assert.equal(count, 1);
  });

  it('redacts opaque bearer tokens and --token flags in flannel and kubelet lines', () => {
    const flannel =
      'E0312 10:01:00.000 1 reflector.go:147] Authorization: Bearer 8b1d5c0e6f2a4f3cb0a9d7e6c5b4a392 rejected';
    const kubelet = `kubeadm join 192.168.56.11:6443 --token ${BOOTSTRAP_TOKEN} --discovery-token-ca-cert-hash sha256:8cb2de97839780a412b93877f8507ad6c94f73add17d5d7058e91741c9d5ec78`;
    const flag = `/usr/local/bin/kube-proxy --token=${BOOTSTRAP_TOKEN} --hostname-override=node-2`;
    const a = redactText(flannel);
    assert.equal(a.text, 'E0312 10:01:00.000 1 reflector.go:147] Authorization: Bearer REDACTED rejected');
    const b = redactText(kubelet);
    assertGone(b.text, [BOOTSTRAP_TOKEN]);
    assert.ok(b.text.includes('--token REDACTED --discovery-token-ca-cert-hash'), b.text);
    const c = redactText(flag);
    assert.equal(c.text, '/usr/local/bin/kube-proxy --token=REDACTED --hostname-override=node-2');
  });

  it('redacts PEM private keys and certificates, also JSON-escaped inside a log line', () => {
    const { text, count } = redactText(`key file follows\n${PEM_KEY}\nend`);
    assert.equal(
      text,
      'key file follows\n-----BEGIN RSA PRIVATE KEY-----\nREDACTED\n-----END RSA PRIVATE KEY-----\nend',
    );
    assert.equal(count, 1);
    const escaped = `{"level":"error","msg":"bad key","key":"${PEM_KEY.replace(/\n/g, '\\n')}"}`;
    assert.ok(!redactText(escaped).text.includes('MIIEowIBAAKCAQEA'));
    const cert =
      '-----BEGIN CERTIFICATE-----\nMIIC/jCCAeagAwIBAgIBADANBgkqhkiG9w0BAQsFADAVMRMwEQYD\n-----END CERTIFICATE-----';
    assert.equal(redactText(cert).text, '-----BEGIN CERTIFICATE-----\nREDACTED\n-----END CERTIFICATE-----');
    const cut = '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5oN3yH5W3Lc';
    assert.ok(!redactText(cut).text.includes('MHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5oN3yH5W3Lc'));
  });

  it('keeps the user but not the password of URLs', () => {
    const { text } = redactText(
      'dial postgres://billing:pa55w0rd@10.96.12.4:5432/billing failed; proxy http://squid:3128',
    );
    assert.equal(
      text,
      'dial postgres://billing:REDACTED@10.96.12.4:5432/billing failed; proxy http://squid:3128',
    );
  });

  it('redacts env-style secrets and leaves ordinary assignments', () => {
    const env =
      "PATH=/usr/bin DB_PASSWORD=hunter2 AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCY AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE GITHUB_TOKEN=ghp_16C7e42F292c6912E7710c838347Ae178B4a API_KEY='k-123' NODE_IP=192.168.56.12 KUBE_PROXY_MODE=iptables";
    const { text } = redactText(env);
    assertGone(text, ['hunter2', 'wJalrXUtnFEMI', 'ghp_16C7e42F', 'k-123']);
    assert.ok(text.includes('PATH=/usr/bin'));
    assert.ok(text.includes('NODE_IP=192.168.56.12'));
    assert.ok(text.includes('KUBE_PROXY_MODE=iptables'));
    assert.ok(text.includes("API_KEY='REDACTED'"));
  });

  it('redacts a bare JWT anywhere', () => {
    const { text, count } = redactText(`mounted token ${SA_TOKEN} at /var/run/secrets`);
    assert.equal(text, 'mounted token REDACTED at /var/run/secrets');
    assert.equal(count, 1);
  });

  it('redacts env entries in a pod manifest written as YAML', () => {
    const yaml = `spec:\n  containers:\n  - name: billing\n    env:\n    - name: DB_HOST\n      value: 10.96.12.4\n    - name: DB_PASSWORD\n      value: "hunter2"\n    - name: SIGNING_KEY\n      value: 0x8f3a\n`;
    const { text } = redactText(yaml);
    assertGone(text, ['hunter2', '0x8f3a']);
    assert.ok(text.includes('value: 10.96.12.4'));
    assert.ok(text.includes('value: "REDACTED"'));
  });

  it('leaves a Corefile unchanged', () => {
    assert.deepEqual(redactText(COREFILE), { text: COREFILE, count: 0 });
  });

  it('leaves flannel backend-data, subnet.env and net-conf.json unchanged', () => {
    for (const s of [
      '{"VNI":1,"VtepMAC":"7a:1c:2e:3f:44:55"}',
      'FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n',
      '{\n  "Network": "10.244.0.0/16",\n  "Backend": {\n    "Type": "vxlan",\n    "VNI": 1,\n    "Port": 8472\n  }\n}\n',
    ]) {
      assert.deepEqual(redactText(s), { text: s, count: 0 });
    }
  });

  it('is idempotent on any text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        const once = redactText(s).text;
        assert.deepEqual(redactText(once), { text: once, count: 0 });
      }),
    );
    const once = redactText(KUBECONFIG).text;
    assert.equal(redactText(once).count, 0);
  });

  it('never touches addresses, CIDRs and MACs', () => {
    const octet = fc.integer({ min: 0, max: 255 });
    const ipv4 = fc.tuple(octet, octet, octet, octet).map((o) => o.join('.'));
    const cidr = fc.tuple(ipv4, fc.integer({ min: 0, max: 32 })).map(([a, p]) => `${a}/${p}`);
    const mac = fc
      .array(fc.integer({ min: 0, max: 255 }), { minLength: 6, maxLength: 6 })
      .map((b) => b.map((x) => x.toString(16).padStart(2, '0')).join(':'));
    const line = fc
      .array(fc.oneof(ipv4, cidr, mac), { minLength: 1, maxLength: 8 })
      .map((parts) => `dst ${parts.join(' via ')} lladdr`);
    fc.assert(
      fc.property(line, (s) => {
        assert.deepEqual(redactText(s), { text: s, count: 0 });
      }),
    );
  });
});

describe('redactText on live iptables and datapath output', () => {
  const ns = bundleNetnsName('redact');
  const exec = (...argv: string[]): string =>
    execFileSync(argv[0] as string, argv.slice(1), { encoding: 'utf8' });
  const inNs = (...argv: string[]): string => exec('ip', 'netns', 'exec', ns, ...argv);

  before(() => {
    exec('ip', 'netns', 'add', ns);
    exec(
      'ip',
      '-n',
      ns,
      'link',
      'add',
      'flannel.1',
      'type',
      'vxlan',
      'id',
      '1',
      'dstport',
      '8472',
      'nolearning',
    );
    exec('ip', '-n', ns, 'link', 'set', 'flannel.1', 'address', '7a:1c:2e:3f:44:55', 'up');
    exec(
      'bridge',
      '-n',
      ns,
      'fdb',
      'append',
      '0a:58:0a:f4:02:00',
      'dev',
      'flannel.1',
      'dst',
      '192.168.56.13',
    );
    // kube-proxy-shaped rules, with Service names that contain words the redactor looks for.
    const rules = [
      ['-t', 'nat', '-N', 'KUBE-SERVICES'],
      ['-t', 'nat', '-N', 'KUBE-MARK-MASQ'],
      ['-t', 'nat', '-N', 'KUBE-SVC-TCOU7JCQXEZGVUNU'],
      ['-t', 'nat', '-N', 'KUBE-SEP-YIL6JZP7A3QYXJU2'],
      ['-t', 'nat', '-A', 'KUBE-MARK-MASQ', '-j', 'MARK', '--set-xmark', '0x4000/0x4000'],
      [
        '-t',
        'nat',
        '-A',
        'KUBE-SERVICES',
        '-d',
        '10.96.0.10/32',
        '-p',
        'udp',
        '-m',
        'comment',
        '--comment',
        'kube-system/kube-dns:dns cluster IP',
        '-m',
        'udp',
        '--dport',
        '53',
        '-j',
        'KUBE-SVC-TCOU7JCQXEZGVUNU',
      ],
      [
        '-t',
        'nat',
        '-A',
        'KUBE-SERVICES',
        '-d',
        '10.96.44.7/32',
        '-p',
        'tcp',
        '-m',
        'comment',
        '--comment',
        'auth/token-service:https --token=ui cluster IP',
        '-m',
        'tcp',
        '--dport',
        '443',
        '-j',
        'KUBE-SVC-TCOU7JCQXEZGVUNU',
      ],
      [
        '-t',
        'nat',
        '-A',
        'KUBE-SVC-TCOU7JCQXEZGVUNU',
        '-m',
        'comment',
        '--comment',
        'kube-system/kube-dns:dns -> 10.244.0.2:53',
        '-m',
        'statistic',
        '--mode',
        'random',
        '--probability',
        '0.50000000000',
        '-j',
        'KUBE-SEP-YIL6JZP7A3QYXJU2',
      ],
      [
        '-t',
        'nat',
        '-A',
        'KUBE-SEP-YIL6JZP7A3QYXJU2',
        '-p',
        'udp',
        '-m',
        'comment',
        '--comment',
        'kube-system/kube-dns:dns',
        '-m',
        'udp',
        '-j',
        'DNAT',
        '--to-destination',
        '10.244.0.2:53',
      ],
      [
        '-t',
        'nat',
        '-A',
        'POSTROUTING',
        '-s',
        '10.244.0.0/16',
        '!',
        '-d',
        '224.0.0.0/4',
        '-m',
        'comment',
        '--comment',
        'flanneld masq',
        '-j',
        'MASQUERADE',
        '--random-fully',
      ],
      [
        '-t',
        'filter',
        '-A',
        'FORWARD',
        '-s',
        '10.244.0.0/16',
        '-m',
        'comment',
        '--comment',
        'flanneld forward',
        '-j',
        'ACCEPT',
      ],
    ];
    for (const r of rules) inNs('iptables-nft', ...r);
  });
  after(() => deleteNetns(ns));

  it('leaves a real iptables-nft-save dump byte for byte', () => {
    const dump = inNs('iptables-nft-save');
    assert.ok(dump.includes('--comment "auth/token-service:https --token=ui cluster IP"'), dump);
    assert.ok(dump.includes('--set-xmark 0x4000/0x4000'), dump);
    assert.deepEqual(redactText(dump), { text: dump, count: 0 });
  });

  it('leaves real ip/bridge JSON (VXLAN MACs, FDB hex) unchanged', () => {
    for (const out of [
      exec('ip', '-n', ns, '-d', '-j', 'addr', 'show'),
      exec('bridge', '-n', ns, '-j', 'fdb', 'show'),
      exec('ip', '-n', ns, '-j', 'route', 'show', 'table', 'all'),
    ]) {
      assert.ok(out.length > 2);
      assert.deepEqual(redactText(out), { text: out, count: 0 });
    }
  });
});

describe('redactValue', () => {
  const podSpec = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'billing-5d8f7c',
      namespace: 'default',
      annotations: {
        'kubectl.kubernetes.io/last-applied-configuration': `${JSON.stringify({
          apiVersion: 'v1',
          kind: 'Pod',
          spec: { containers: [{ name: 'billing', env: [{ name: 'DB_PASSWORD', value: 'hunter2' }] }] },
        })}\n`,
        'flannel.alpha.coreos.com/backend-data': '{"VNI":1,"VtepMAC":"7a:1c:2e:3f:44:55"}',
        note: `deployed with Authorization: Bearer ${SA_TOKEN}`,
      },
    },
    spec: {
      automountServiceAccountToken: false,
      serviceAccountName: 'billing',
      containers: [
        {
          name: 'billing',
          image: 'registry.internal/billing:1.4',
          args: ['--db=postgres://billing:pa55w0rd@10.96.12.4:5432/billing', '--listen=0.0.0.0:8080'],
          env: [
            { name: 'DB_HOST', value: '10.96.12.4' },
            { name: 'DB_PASSWORD', value: 'hunter2' },
            { name: 'stripe_api_key', value: 'sk_live_51HxQk2eZvKYlo2C' },
            { name: 'SESSION_SECRET', valueFrom: { secretKeyRef: { name: 'billing', key: 'session' } } },
            { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          ],
          volumeMounts: [{ name: 'token', mountPath: '/var/run/secrets/tokens' }],
        },
      ],
      volumes: [{ name: 'creds', secret: { secretName: 'billing-creds' } }],
    },
  };

  it('redacts secret env values, URL passwords and annotations, and nothing else', () => {
    const { value: out, count } = redactValueCounted(podSpec);
    const json = JSON.stringify(out);
    assertGone(json, ['hunter2', 'sk_live_51HxQk2eZvKYlo2C', 'pa55w0rd', SA_TOKEN]);
    const c = out.spec.containers[0]!;
    assert.deepEqual(c.env[0], { name: 'DB_HOST', value: '10.96.12.4' });
    assert.deepEqual(c.env[1], { name: 'DB_PASSWORD', value: REDACTED });
    assert.deepEqual(
      c.env[3],
      podSpec.spec.containers[0]!.env[3],
      'a secretKeyRef is a reference, not a secret',
    );
    assert.equal(c.args[0], '--db=postgres://billing:REDACTED@10.96.12.4:5432/billing');
    assert.equal(c.args[1], '--listen=0.0.0.0:8080');
    assert.deepEqual(out.spec.volumes, podSpec.spec.volumes);
    assert.equal(out.spec.automountServiceAccountToken, false);
    const a = out.metadata.annotations;
    assert.equal(a['flannel.alpha.coreos.com/backend-data'], '{"VNI":1,"VtepMAC":"7a:1c:2e:3f:44:55"}');
    const applied = JSON.parse(a['kubectl.kubernetes.io/last-applied-configuration']);
    assert.equal(applied.spec.containers[0].env[0].value, REDACTED);
    // DB_PASSWORD, stripe_api_key, the URL password, the applied env value, the bearer JWT
    assert.equal(count, 5);
  });

  it('does not modify its input', () => {
    const before = JSON.stringify(podSpec);
    redactValue(podSpec);
    assert.equal(JSON.stringify(podSpec), before);
  });

  it('redacts credential keys of parsed kubeconfig objects', () => {
    const out = redactValue({
      users: [
        { name: 'a', user: { 'client-key-data': KEY_DATA, token: SA_TOKEN, tokenFile: '/var/run/token' } },
      ],
    });
    assert.deepEqual(out.users[0]!.user, {
      'client-key-data': REDACTED,
      token: REDACTED,
      tokenFile: '/var/run/token',
    });
  });
});
