/** The worker's operational building blocks: GPU checks, heartbeats, logs and metrics. */
export * from './gpu-health.ts';
export * from './heartbeat.ts';
export * from './log-shipper.ts';
export * from './logger.ts';
export * from './metrics-reporter.ts';
export * from './nvidia-smi.ts';
export * from './prometheus.ts';
export * from './shipping-logger.ts';
