// The seeded multi-replica simulation of the core (SIM1–SIM3). Quick mode runs
// 200 seeds; HUSKIES_EXTENSIVE=1 runs 2000; HUSKIES_SEED=n runs just seed n.
// A failing seed prints itself and the command that reruns it; seeds that once
// failed stay below as named [SIM2] tests.
import { describe, expect, test } from 'vitest';
import { ALL_ATTACKS } from './byzantine.js';
import { simulate, World, type Verdict, type WorldOptions } from './world.js';

const EXTENSIVE = process.env.HUSKIES_EXTENSIVE === '1';
const ONLY = process.env.HUSKIES_SEED === undefined ? undefined : Number(process.env.HUSKIES_SEED);
const COUNT = EXTENSIVE ? 2000 : 200;
const SEEDS = ONLY !== undefined && Number.isSafeInteger(ONLY) ? [ONLY] : Array.from({ length: COUNT }, (_, i) => i + 1);

function explain(options: WorldOptions, v: Verdict): string {
  return [
    `simulation seed ${options.seed} failed (${v.problems.length} problem(s)); rerun just it with:`,
    options.attacks === undefined
      ? `  HUSKIES_SEED=${options.seed} npx vitest run tests/sim`
      : `  npx vitest run tests/sim -t "seed ${options.seed}," (attacks: ${options.attacks.join(', ')})`,
    ...v.problems.slice(0, 12).map((p) => `  ${p}`),
    `  stats: ${JSON.stringify(v.stats)}`,
  ].join('\n');
}

function expectConverged(options: WorldOptions): Verdict {
  const v = simulate(options);
  if (!v.ok) expect.fail(explain(options, v));
  return v;
}

describe('seeded simulation: 5 honest replicas + 1 Byzantine', () => {
  for (const seed of SEEDS) {
    test(`[SIM1][SIM3] seed ${seed}: honest replicas converge despite the Byzantine replica`, () => {
      expectConverged({ seed });
    });
  }
});

describe('seeded simulation: honest replicas only', () => {
  for (const seed of SEEDS.slice(0, EXTENSIVE ? 200 : 10)) {
    test(`[SIM1] seed ${seed}: 7 honest replicas converge`, () => {
      expectConverged({ seed, honest: 7, byzantine: false, edits: 30 });
    });
  }
});

describe('the simulation itself', () => {
  test('[SIM1] a seed replays exactly: same final state hash and op count', () => {
    const run = () => {
      const w = new World({ seed: 4242 });
      w.run();
      w.finish();
      return w.replicas.map((r) => `${r.doc.stateHash()}/${r.doc.log().length}`).join();
    };
    expect(run()).toBe(run());
  });

  test('[SIM1] the finale checks something: honest replicas hold every honest op and real content', () => {
    const w = new World({ seed: 9 });
    w.run();
    const v = w.finish();
    expect(v.ok, v.problems.join('\n')).toBe(true);
    expect(w.honestOps.size).toBeGreaterThan(20);
    for (const r of w.replicas) for (const id of w.honestOps) expect(r.doc.has(id)).toBe(true);
    expect(JSON.stringify(w.replicas[0]!.doc.toJson())).toContain('story');
  });
});

// ---- named regression seeds (SIM2) ----
//
// Seeds that once split honest replicas: the core accepted an op whose own
// signature was junk because a later op of its author named it as `prev`,
// even when that voucher was never applied, so the replica could not prove
// the op to its peers (CORE8). The core now checks every op's own signature.
describe('[SIM2] named regression seeds', () => {
  test('[SIM2] seed 1, orphan-voucher: a junk-signed op named as prev by a never-applied op does not split honest replicas (CORE8)', () => {
    expectConverged({ seed: 1, attacks: ['orphan-voucher'] });
  });

  test('[SIM2] seed 2, orphan-voucher: honest ops still reach every honest peer (CORE8)', () => {
    expectConverged({ seed: 2, attacks: ['orphan-voucher'] });
  });

  test('[SIM2] seed 4, all attacks: honest replicas converge in the full random mix (CORE8)', () => {
    expectConverged({ seed: 4, attacks: ALL_ATTACKS });
  });
});
