import { afterEach, describe, expect, it } from 'vitest';
import { NbdClient } from '../../../../src-main/engine/nbd/client';
import { readChangedRanges } from '../../../../src-main/engine/nbd/disk-reader';
import {
  blockStatusChunk,
  dataChunk,
  startScriptedServer,
  type ScriptedServer,
} from './scripted-nbd-server';

const MiB = 1024 * 1024;
let server: ScriptedServer | undefined;
let client: NbdClient | undefined;

afterEach(async () => {
  await client?.close().catch(() => undefined);
  await server?.close();
  client = undefined;
  server = undefined;
});

/**
 * 16 MiB export: [0, 4 MiB) data, [4, 8 MiB) hole+zero, [8, 16 MiB) data. READs are answered
 * after a few ms with every byte = the MiB index, so pieces can be told apart.
 */
async function stripedExport(): Promise<{ client: NbdClient; mostInFlight: () => number }> {
  let outstanding = 0;
  let most = 0;
  server = await startScriptedServer({
    size: 16 * MiB,
    contexts: { 'base:allocation': 1 },
    onRequest(req, socket) {
      if (req.type === 7) {
        const layout: [number, number][] = [
          [4 * MiB, 0],
          [4 * MiB, 3],
          [8 * MiB, 0],
        ];
        // Describe from req.offset on (the client asks from 0, in one window).
        socket.write(
          blockStatusChunk(req.handle, 1, req.offset === 0 ? layout : [[req.length, 0]]),
        );
        return;
      }
      outstanding++;
      most = Math.max(most, outstanding);
      setTimeout(() => {
        outstanding--;
        const data = Buffer.alloc(req.length, (req.offset / MiB) & 0xff);
        if (!socket.destroyed) socket.write(dataChunk(req.handle, req.offset, data, true));
      }, 3);
    },
  });
  client = await NbdClient.connect({
    endpoint: { socketPath: server.socketPath },
    metaContexts: ['base:allocation'],
  });
  return { client, mostInFlight: () => most };
}

describe('readChangedRanges', () => {
  it('yields allocated data in order, chunk-aligned, with several reads in flight', async () => {
    const { client: c, mostInFlight } = await stripedExport();
    const pieces: [number, number, number | undefined][] = [];
    for await (const { offset, data } of readChangedRanges(c, { chunk: MiB, concurrency: 4 })) {
      pieces.push([offset / MiB, data.length, data[0]]);
    }
    const expected = [0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15].map((m) => [m, MiB, m]);
    expect(pieces).toEqual(expected);
    expect(mostInFlight()).toBe(4);
  });

  it('stops cleanly when the consumer stops early, leaving the client usable', async () => {
    const { client: c } = await stripedExport();
    for await (const piece of readChangedRanges(c, { chunk: MiB, concurrency: 4 })) {
      expect(piece.offset).toBe(0);
      break;
    }
    expect((await c.read(9 * MiB, 512))[0]).toBe(9);
  });

  it('ends with CANCELLED when its signal aborts', async () => {
    const { client: c } = await stripedExport();
    const controller = new AbortController();
    const seen: number[] = [];
    const run = (async () => {
      for await (const { offset } of readChangedRanges(c, {
        chunk: MiB,
        signal: controller.signal,
      })) {
        seen.push(offset);
        if (seen.length === 2) controller.abort();
      }
    })();
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(seen.length).toBeLessThan(12);
  });
});
