/**
 * Puts a job's input files into a host folder (the Docker backend bind-mounts it read-only): downloads each URL
 * through the validator's fetcher, unzips image datasets with the miner's checked unzip (no absolute paths, no
 * `..`, size and entry caps).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { unzipTo } from '../miner/container/unzip.ts';
import type { Fetcher } from '../validator/ports.ts';
import type { InputFile } from './backend.ts';
import { ContainerInputError } from './errors.ts';

export async function materializeInputs(inputs: readonly InputFile[], dir: string, fetch: Fetcher): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const input of inputs) {
    if (input.name !== basename(input.name) || input.name === '..' || input.name === '.') {
      throw new ContainerInputError(`input file name must be a plain file name: ${JSON.stringify(input.name)}`);
    }
    try {
      const bytes = 'bytes' in input.source ? input.source.bytes : await fetch(input.source.url);
      if ('url' in input.source && input.source.unzip) await unzipTo(Buffer.from(bytes), input.name ? join(dir, input.name) : dir);
      else {
        if (!input.name) throw new Error('a file input needs a name');
        await writeFile(join(dir, input.name), bytes);
      }
    } catch (err) {
      throw new ContainerInputError(`could not prepare input ${input.name || '(archive)'}: ${(err as Error).message}`);
    }
  }
}
