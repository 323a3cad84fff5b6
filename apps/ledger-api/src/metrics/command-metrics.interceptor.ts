import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Observable, tap } from 'rxjs';
import { CommandsController } from '../commands/commands.controller';
import { MetricsService } from './metrics.service';

/**
 * Times every `POST /api/commands/{name}` that got past authentication and counts its outcome. Registered globally
 * (APP_INTERCEPTOR) so the commands controller stays a thin shell.
 */
@Injectable()
export class CommandMetricsInterceptor implements NestInterceptor {
  constructor(private readonly metrics: MetricsService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getClass() !== CommandsController || context.getType() !== 'http') return next.handle();
    const name = String(context.switchToHttp().getRequest<{ params?: Record<string, string> }>().params?.name ?? '');
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    return next.handle().pipe(
      tap({
        next: () => this.metrics.observeCommand(name, seconds()),
        error: (error: unknown) => this.metrics.observeCommand(name, seconds(), error),
      }),
    );
  }
}
