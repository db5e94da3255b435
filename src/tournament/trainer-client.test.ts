import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrainerUnreachable } from './ports.ts';
import { HttpTrainerClient, trainerBaseUrl } from './trainer-client.ts';

let server: http.Server;
let address: string;
let reply: { status: number; body: unknown } = { status: 200, body: {} };
const seen: { url: string; auth: string | undefined }[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push({ url: req.url ?? '', auth: req.headers.authorization });
    req.resume();
    req.on('end', () => {
      res.statusCode = reply.status;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

const client = (attempts = 1) =>
  new HttpTrainerClient({ timeoutMs: 2000, attempts, backoffMinMs: 1, backoffMaxMs: 2, startedMessage: 'Started Training!', headers: () => ({ authorization: 'Bearer t0k' }) });
const request = { training_data: { task_id: 't', model: 'm', hours_to_complete: 1, dataset_zip: 'z', model_type: 'sdxl' as const }, github_repo: 'r', gpu_ids: [0], hotkey: 'h' };

describe('trainer addresses', () => {
  it('default to port 8001 and refuse anything but host[:port] or a bare base URL', () => {
    expect(trainerBaseUrl('10.0.0.5')).toBe('http://10.0.0.5:8001');
    expect(trainerBaseUrl('10.0.0.5:9000')).toBe('http://10.0.0.5:9000');
    expect(trainerBaseUrl('[::1]:9000')).toBe('http://[::1]:9000');
    expect(trainerBaseUrl('http://trainer.local:8001/')).toBe('http://trainer.local:8001');
    for (const bad of ['a b', '10.0.0.5/x', 'http://h/path', 'http://u:p@h', '']) expect(() => trainerBaseUrl(bad)).toThrow();
  });
});

describe('HttpTrainerClient', () => {
  it('reads a start as started only with the expected message, and tells retryable refusals apart', async () => {
    reply = { status: 200, body: { message: 'Started Training!', task_id: 't' } };
    expect(await client().startTraining(address, request)).toEqual({ kind: 'started' });
    expect(seen.at(-1)).toEqual({ url: '/v1/trainer/start_training', auth: 'Bearer t0k' });
    reply = { status: 200, body: { message: 'Error cloning github repository', task_id: 't', success: false, no_retry: true, error: 'bad repo' } };
    expect(await client().startTraining(address, request)).toEqual({ kind: 'refused', retry: false, error: 'bad repo' });
    reply = { status: 409, body: { detail: 'GPUs busy' } };
    expect(await client().startTraining(address, request)).toMatchObject({ kind: 'refused', retry: true });
    reply = { status: 400, body: { detail: 'clone failed' } };
    expect(await client().startTraining(address, request)).toMatchObject({ kind: 'refused', retry: false });
    // Our credential refused: the operator's problem, retried, never a final failure of the miner's training.
    reply = { status: 401, body: { detail: 'Invalid token' } };
    expect(await client().startTraining(address, request)).toEqual({ kind: 'refused', retry: true, error: 'trainer refused our credentials (HTTP 401): "Invalid token"' });
  });

  it('retries 5xx, maps 404 to an unknown job and a dead trainer to TrainerUnreachable', async () => {
    reply = { status: 503, body: {} };
    const before = seen.length;
    await expect(client(3).gpuAvailability(address)).rejects.toThrow(/HTTP 503/);
    expect(seen.length - before).toBe(3);
    reply = { status: 404, body: { detail: 'no' } };
    expect(await client().taskDetails(address, 'a/b', 'h k')).toBeNull();
    expect(seen.at(-1)?.url).toBe('/v1/trainer/a%2Fb?hotkey=h%20k');
    await expect(client().gpuAvailability('127.0.0.1:1')).rejects.toBeInstanceOf(TrainerUnreachable);
    reply = { status: 200, body: [{ gpu_id: 0, gpu_type: 'H100', vram_gb: 80, available: 'yes' }] };
    await expect(client().gpuAvailability(address)).rejects.toThrow(/0\.available/);
  });
});
