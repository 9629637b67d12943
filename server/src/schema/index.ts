import { builder } from './builder.ts';
import './scalars.ts';
import './build.ts';
import './buildWork.ts';
import './log.ts';
import './worker.ts';
import './apiKey.ts';
import './webhook.ts';
import './upload.ts';
import './stats.ts';
import './me.ts';

builder.queryType({ description: 'Reads: builds, workers, logs, statistics, keys and webhooks.' });
builder.mutationType({ description: 'Changes: submitting and steering builds, the worker protocol, keys, webhooks.' });
builder.subscriptionType({
  description: 'Live feeds over graphql-ws (or SSE): wake-ups and instructions for workers, changes for the console.',
});

export const schema = builder.toSchema();
