/** The reporting service (group reporting-service, seed 000): one report per validation.completed. */
import type { EventSubscription } from '@event-contracts/runtime';
import { SUBSCRIBE } from '../shared/clients.js';
import { serviceClient, type ServiceContext } from './context.js';

export interface Report {
  report_id: string;
  validation_id: string;
  project_id: string;
  status: 'passed' | 'failed';
  tests_passed: number;
  tests_failed: number;
  tests_total: number;
  /** Passed / total in percent, rounded to one decimal (100 for a project without tests). */
  pass_rate: number;
  correlation_id: string;
}

export function startReportingService(ctx: ServiceContext) {
  const { client, trace } = serviceClient('reporting-service', ctx);
  const reports = new Map<string, Report>();

  async function subscribe(): Promise<EventSubscription[]> {
    return [
      await client.onReportingServiceValidationCompleted((event, c) => {
        trace.handled(c);
        const d = event.data;
        const total = d.tests_passed + d.tests_failed;
        reports.set(d.validation_id, {
          report_id: `report-${d.validation_id}`,
          validation_id: d.validation_id,
          project_id: d.project_id,
          status: d.status,
          tests_passed: d.tests_passed,
          tests_failed: d.tests_failed,
          tests_total: total,
          pass_rate: total === 0 ? 100 : Math.round((d.tests_passed / total) * 1000) / 10,
          correlation_id: event.correlation_id,
        });
      }, SUBSCRIBE),
    ];
  }

  return {
    subscribe,
    list: (): Report[] => [...reports.values()],
    close: () => client.close(),
  };
}

export type ReportingService = ReturnType<typeof startReportingService>;
