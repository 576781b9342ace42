import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { literalCommand } from '../../src/cluster/literal-command.ts';

/** Kubernetes' own expansion of a command (third_party/forked/golang/expansion): `$$` → `$`, `$(VAR)` → value. */
function kubeExpand(s: string, env: Record<string, string>): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '$' || i + 1 >= s.length) {
      out += s[i];
      continue;
    }
    const next = s[i + 1];
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '(') {
      const end = s.indexOf(')', i + 2);
      const name = end < 0 ? undefined : s.slice(i + 2, end);
      if (name !== undefined && name in env) {
        out += env[name];
        i = end;
      } else out += '$';
    } else out += '$';
  }
  return out;
}

describe('literalCommand', () => {
  it('survives the kubelet expansion unchanged: $$, $(VAR), $(cmd), trailing $', () => {
    const script = 'N=nd-$$; ip netns attach "$N" $$; echo $(NODE_NAME) $(hostname) $? cost$';
    const env = { NODE_NAME: 'worker-1' };
    assert.notEqual(kubeExpand(script, env), script, 'without it the script changes');
    const [sh, c, text] = literalCommand(['sh', '-c', script]);
    assert.deepEqual([sh, c], ['sh', '-c']);
    assert.equal(kubeExpand(text ?? '', env), script);
  });
});
