import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { agentImageOf, agentImageOptions } from '../../src/cli/options.ts';

function parse(args: string[]): string {
  let image = '';
  const cmd = new Command('x').exitOverride();
  for (const o of agentImageOptions('default/image:1')) cmd.addOption(o);
  cmd.action((flags: { agentImage: string; toolboxImage?: string; probeImage?: string }) => {
    image = agentImageOf(flags);
  });
  cmd.parse(args, { from: 'user' });
  return image;
}

describe('one --agent-image flag', () => {
  it('defaults, takes --agent-image, and still takes the names earlier releases used', () => {
    assert.equal(parse([]), 'default/image:1');
    assert.equal(parse(['--agent-image', 'a:1']), 'a:1');
    assert.equal(parse(['--toolbox-image', 't:1']), 't:1');
    assert.equal(parse(['--probe-image', 'p:1']), 'p:1');
  });

  it('diagnose, fix and validate all show --agent-image, and none shows the old names', () => {
    for (const name of ['diagnose', 'fix', 'validate']) {
      const help = spawnSync(process.execPath, ['src/cli/main.ts', name, '--help'], {
        encoding: 'utf8',
      }).stdout;
      assert.match(help, /--agent-image <image>/, name);
      assert.doesNotMatch(help, /--toolbox-image|--probe-image/, name);
    }
  });
});
