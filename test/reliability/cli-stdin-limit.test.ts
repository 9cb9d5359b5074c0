import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { reportFigures, scale } from './support/harness.js';
import { tempSocket } from '../support/temp-socket.js';
import { assertBuilt, CLI, cleanEnv } from '../cli/cli-process.js';

/**
 * Pipes `mebibytes` MiB into `ipcio emit x -` and reports its exit status,
 * stderr and peak RSS; Python runs it because it can read a child's
 * ru_maxrss (RUSAGE_CHILDREN), which Node cannot.
 */
const PIPE_AND_MEASURE = `
import json, resource, subprocess, sys
cli, socket_path, mebibytes = sys.argv[1], sys.argv[2], int(sys.argv[3])
proc = subprocess.Popen([sys.argv[4], cli, "emit", "--socket", socket_path, "x", "-"],
                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
block = b"[" + b"1," * (512 * 1024 - 1) + b"1]"  # 1 MiB; the whole input is not valid JSON, which must not matter
written = 0
try:
    for _ in range(mebibytes):
        proc.stdin.write(block)
        written += len(block)
    proc.stdin.close()
except BrokenPipeError:
    pass
out, err = proc.communicate()
print(json.dumps({"code": proc.returncode, "stderr": err.decode(), "written": written,
                  "maxRssKiB": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
`;

describe('ipcio reads stdin only up to the frame limit (issue 11, item 8)', () => {
  beforeAll(() => assertBuilt());

  it('stops at 64 MiB with a clear message and exit 1, its memory bounded, nothing sent', () => {
    const socket = tempSocket();
    try {
      const mebibytes = scale(80, 700);
      const run = spawnSync('python3', ['-c', PIPE_AND_MEASURE, CLI, socket.socketPath, String(mebibytes), process.execPath], { env: cleanEnv(), encoding: 'utf8' });
      if (run.status !== 0) throw new Error(`measuring script failed: ${run.stderr}`);
      const result = JSON.parse(run.stdout) as { code: number; stderr: string; written: number; maxRssKiB: number };
      reportFigures('CLI stdin flood', { offeredMiB: mebibytes, writtenBeforeStopMiB: Math.round(result.written / 1048576), cliPeakRssMiB: Math.round(result.maxRssKiB / 1024) });
      expect(result.stderr).toContain('stdin holds more than 67108864 bytes, the largest frame ipcio sends (64 MiB); nothing was sent');
      expect(result.stderr).not.toContain('    at ');
      expect(result.code).toBe(1);
      // Before the fix: 1.5 GB for 700 MB. Now 64 MiB of input at most, held once, plus Node.
      expect(result.maxRssKiB / 1024).toBeLessThan(200);
    } finally {
      socket.cleanup();
    }
  }, 300_000);
});
