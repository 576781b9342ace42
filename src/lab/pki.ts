/**
 * The cluster's certificates, made with openssl the way kubeadm lays them out: one CA, the API
 * server's serving certificate, client certificates for the admin, the control-plane components
 * and each kubelet, and the service-account signing key.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './shell.ts';
import { type LabTopology, NET } from './topology.ts';

export interface ClientCert {
  file: string;
  cn: string;
  org?: string;
}

export interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
  apiserverCert: string;
  apiserverKey: string;
  saKey: string;
  saPub: string;
  /** Client certificate (.crt) and key (.key) base path by user. */
  client: (name: string) => { cert: string; key: string };
}

function genKey(path: string): void {
  run('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path]);
}

function sign(dir: string, base: string, subject: string, ext: string): void {
  const key = join(dir, `${base}.key`);
  const csr = join(dir, `${base}.csr`);
  const extFile = join(dir, `${base}.ext`);
  genKey(key);
  run('openssl', ['req', '-new', '-key', key, '-subj', subject, '-out', csr]);
  writeFileSync(extFile, ext);
  run('openssl', [
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    join(dir, 'ca.crt'),
    '-CAkey',
    join(dir, 'ca.key'),
    '-CAcreateserial',
    '-days',
    '365',
    '-extfile',
    extFile,
    '-out',
    join(dir, `${base}.crt`),
  ]);
}

/** The client identities the lab needs: the admin, the controllers and one per kubelet. */
export function clientIdentities(t: LabTopology): ClientCert[] {
  return [
    { file: 'admin', cn: 'kubernetes-admin', org: 'system:masters' },
    { file: 'controller-manager', cn: 'system:kube-controller-manager' },
    { file: 'scheduler', cn: 'system:kube-scheduler' },
    { file: 'apiserver-kubelet-client', cn: 'kube-apiserver-kubelet-client', org: 'system:masters' },
    ...t.nodes.map((n) => ({ file: `kubelet-${n.name}`, cn: `system:node:${n.name}`, org: 'system:nodes' })),
  ];
}

export function makePki(dir: string, t: LabTopology): Pki {
  mkdirSync(dir, { recursive: true });
  const ca = join(dir, 'ca.crt');
  if (!existsSync(ca)) {
    genKey(join(dir, 'ca.key'));
    run('openssl', [
      'req',
      '-x509',
      '-new',
      '-key',
      join(dir, 'ca.key'),
      '-subj',
      '/CN=netdoctor-lab-ca',
      '-days',
      '3650',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
      '-out',
      ca,
    ]);
    const sans = [
      'DNS:kubernetes',
      'DNS:kubernetes.default',
      'DNS:kubernetes.default.svc',
      `DNS:kubernetes.default.svc.${NET.clusterDomain}`,
      'DNS:localhost',
      `IP:${NET.apiServiceIp}`,
      `IP:${t.controlPlane.ip}`,
      'IP:127.0.0.1',
    ];
    sign(
      dir,
      'apiserver',
      '/CN=kube-apiserver',
      `keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${sans.join(',')}\n`,
    );
    genKey(join(dir, 'sa.key'));
    run('openssl', ['pkey', '-in', join(dir, 'sa.key'), '-pubout', '-out', join(dir, 'sa.pub')]);
  }
  for (const c of clientIdentities(t)) {
    if (existsSync(join(dir, `${c.file}.crt`))) continue;
    const subject = c.org ? `/O=${c.org}/CN=${c.cn}` : `/CN=${c.cn}`;
    sign(
      dir,
      c.file,
      subject,
      'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n',
    );
  }
  return {
    dir,
    caCert: ca,
    caKey: join(dir, 'ca.key'),
    apiserverCert: join(dir, 'apiserver.crt'),
    apiserverKey: join(dir, 'apiserver.key'),
    saKey: join(dir, 'sa.key'),
    saPub: join(dir, 'sa.pub'),
    client: (name) => ({ cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) }),
  };
}

/** A kubeconfig that embeds the CA and a client certificate by path. */
export function kubeconfigYaml(server: string, pki: Pki, user: string): string {
  const c = pki.client(user);
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: netdoctor-lab',
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority: ${pki.caCert}`,
    'users:',
    `- name: ${user}`,
    '  user:',
    `    client-certificate: ${c.cert}`,
    `    client-key: ${c.key}`,
    'contexts:',
    '- name: netdoctor-lab',
    '  context:',
    '    cluster: netdoctor-lab',
    `    user: ${user}`,
    'current-context: netdoctor-lab',
    '',
  ].join('\n');
}
