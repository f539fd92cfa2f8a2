import { Processor, WorkerHost } from '@nestjs/bullmq';
import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { defineQueue } from './declared-queue';

@Processor('reports')
class ReportsProcessor extends WorkerHost {
  process(): Promise<void> {
    return Promise.resolve();
  }
}

class ReportsService {}

@Module({})
class ReportsModule {}

const reportsQueue = defineQueue({
  name: 'reports',
  processor: ReportsProcessor,
  jobs: { build: () => ({ attempts: 2, removeOnComplete: true, removeOnFail: { count: 5 } }) },
});

const mounted = (role: 'all' | 'api' | 'worker' | 'relay'): DynamicModule =>
  reportsQueue.mount(role, {
    module: ReportsModule,
    imports: [],
    providers: [ReportsService],
    exports: [ReportsService],
  });

const hasProcessor = (module: DynamicModule) => (module.providers ?? []).includes(ReportsProcessor as Provider);

describe('defineQueue(...).mount', () => {
  it('keeps what the feature module declared', () => {
    const module = mounted('all');
    expect(module.module).toBe(ReportsModule);
    expect(module.providers).toContain(ReportsService);
    expect(module.exports).toEqual([ReportsService]);
  });

  it.each([
    ['all', true],
    ['worker', true],
    ['api', false],
    ['relay', false],
  ] as const)('role %s: processor mounted %s, queue and dashboard entry always', (role, expected) => {
    const module = mounted(role);
    expect(hasProcessor(module)).toBe(expected);
    expect(module.imports).toHaveLength(2);
  });

  it('imports the same queue and dashboard modules at every mount (one queue instance per process)', () => {
    expect(mounted('api').imports).toEqual(mounted('worker').imports);
    expect(mounted('api').imports![0]).toBe(mounted('worker').imports![0]);
  });

  it('refuses an invalid declaration when it is made', () => {
    expect(() =>
      defineQueue({ name: 'reports', outboxTopics: { topic: { job: 'missing' as never, data: () => ({}) } } }),
    ).toThrow('names undeclared job');
  });
});
