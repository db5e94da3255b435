// The validator's public HTTP API (docs/api.md).
export * from './server.ts';
export type { ApiContext, RewardFunctionValidator, UploadStore } from './context.ts';
export { EventBus } from './events-bus.ts';
export { taskEventSchema, type TaskEvent } from './events.ts';
export { ProgressPoller, minerProgressSource, type ProgressSource, type TrainingNode } from './progress.ts';
export { RateLimiter, take } from './ratelimit.ts';
export { WebhookDispatcher, signWebhook, verifyWebhookSignature, retryDelayMs, SIGNATURE_HEADER } from './webhooks.ts';
export { hideWhileInFlight, toTaskDetails, taskDetailsSchema } from './views.ts';
export { prepareRewardCode } from './reward-functions.ts';
