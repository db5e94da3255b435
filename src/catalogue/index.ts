/**
 * The model/dataset catalogue the synthetic scheduler draws from (validator.md §6.2), chosen by
 * `synthetic.catalogue`: the embedded built-in datasets, the content service at `services.contentBaseUrl`, or a
 * catalogue file (`synthetic.catalogueFile`). docs/synthetic.md.
 */
import type { Config } from '../config/schema.ts';
import type { HotkeySigner } from '../llm/hotkey-auth.ts';
import type { ContentService } from '../validator/ports.ts';
import { ContentServiceClient } from './content-client.ts';
import { CatalogueError, FileCatalogue } from './file.ts';

export { ContentServiceClient } from './content-client.ts';
export { CatalogueError, FileCatalogue, loadCatalogueFile, parseCatalogue } from './file.ts';

export async function catalogueFromConfig(
  config: Pick<Config, 'services' | 'synthetic' | 'prep'>,
  deps: { builtin: () => ContentService; signer?: HotkeySigner | null; netuid: number },
): Promise<ContentService> {
  const s = config.synthetic;
  switch (s.catalogue) {
    case 'builtin':
      return deps.builtin();
    case 'file':
      if (!s.catalogueFile) throw new CatalogueError('synthetic.catalogue is file but synthetic.catalogueFile is not set');
      return FileCatalogue.open(s.catalogueFile);
    case 'content':
      return new ContentServiceClient({
        baseUrl: config.services.contentBaseUrl,
        signer: deps.signer ?? null,
        netuid: deps.netuid,
        timeoutMs: s.contentTimeoutSeconds * 1000,
        retry: {
          attempts: s.contentAttempts,
          backoffMinMs: config.prep.llmBackoffMinSeconds * 1000,
          backoffMaxMs: config.prep.llmBackoffMaxSeconds * 1000,
          retryAfterMaxMs: s.retryAfterMaxSeconds * 1000,
        },
      });
  }
}
