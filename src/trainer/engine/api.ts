/**
 * What a devnet training repo's entry script can import: `await import(job.cacheDir + '/god/engine.mjs')`. The
 * trainer bundles this module (and the built-in engine under it) into one file and links it into every local job's
 * read-only cache, because the confined script can read nothing outside its own folders.
 */
export { contract, type ContractJob } from './contract.ts';
export { loadModel, saveAdapter, saveModel } from '../../ml/hub-format.ts';
export { DEFAULT_SFT, trainSft } from '../../ml/sft.ts';
export { encodeDpo, trainDpo } from '../../ml/dpo.ts';
export { chatExamples, dpoRows, instructExamples, standardizeRows } from '../../ml/data/columns.ts';
// A whole training job in the script's own process (SFT/DPO/image denoiser, held-out checkpoint selection): what
// the devnet's tournament recipes call, each with its own hyper-parameters.
export { trainInProcess } from '../../ml/jobs/train.ts';
