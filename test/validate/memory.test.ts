import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SHOP_CONTRACT, writeShopNdjson } from '../../bench/validate-data.js';

const dir = mkdtempSync(join(tmpdir(), 'evc-validate-mem-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('evc validate streams in constant memory', () => {
  it('an 80 MB NDJSON file: RSS grows by less than 64 MB over the baseline (reading it whole adds more than the file: +55 MB for 40 MB)', () => {
    const file = join(dir, 'big.ndjson');
    const gen = writeShopNdjson(file, 80 * 1024 * 1024, 1000);
    expect(statSync(file).size).toBe(gen.bytes);
    const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', 'test/validate/memory-child.ts', SHOP_CONTRACT, file], {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as {
      baseline: number;
      peak: number;
      heapBefore: number;
      heapAfter: number;
      summary: { total: number; valid: number; invalid: number; unknownType: number };
      reported: number;
    };
    expect(out.summary).toEqual({ total: gen.messages, valid: gen.messages - gen.invalid, invalid: gen.invalid, unknownType: 0 });
    expect(out.reported).toBe(gen.invalid);
    const growthMb = (out.peak - out.baseline) / (1024 * 1024);
    console.log(
      `validate memory: ${gen.messages} messages, ${(gen.bytes / 1048576).toFixed(0)} MB, RSS baseline ${(out.baseline / 1048576).toFixed(0)} MB, peak +${growthMb.toFixed(1)} MB, heap retained ${((out.heapAfter - out.heapBefore) / 1048576).toFixed(1)} MB`,
    );
    expect(growthMb).toBeLessThan(64);
    // Nothing is retained: after a full GC the heap is back where it started.
    expect((out.heapAfter - out.heapBefore) / (1024 * 1024)).toBeLessThan(8);
  }, 180_000);
});
