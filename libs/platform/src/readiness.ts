import { Injectable } from '@nestjs/common';
import { checkReadiness, type HealthCheck, type ReadinessReport } from './health';

/** What /health/ready asks: each dependency module adds its check when it starts. */
@Injectable()
export class Readiness {
  private readonly checks: Record<string, HealthCheck> = {};

  add(name: string, check: HealthCheck): void {
    this.checks[name] = check;
  }

  report(): Promise<ReadinessReport> {
    return checkReadiness(this.checks);
  }
}
