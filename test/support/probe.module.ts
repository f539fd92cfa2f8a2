import { Controller, Get, Module, Post } from '@nestjs/common';
import { z } from 'zod';
import { Public } from '../../src/http/route-access';
import { ValidBody } from '../../src/common/validation/validated.decorators';

/** Routes that exist only in tests, to drive the error filter, validation and shutdown from outside. */
export class ProbeGate {
  private release: (() => void) | undefined;
  entered: Promise<void>;
  private markEntered: () => void = () => undefined;

  constructor() {
    this.entered = new Promise((resolve) => (this.markEntered = resolve));
  }

  wait(): Promise<void> {
    this.markEntered();
    return new Promise((resolve) => (this.release = resolve));
  }

  open(): void {
    this.release?.();
  }
}

export const probeGate = { current: new ProbeGate() };

const probeBodySchema = z.strictObject({
  amount: z.number().int().positive(),
  nested: z.strictObject({ name: z.string().min(1) }).optional(),
});

@Public()
@Controller('probe')
class ProbeController {
  @Post('validated')
  validated(@ValidBody(probeBodySchema) body: z.output<typeof probeBodySchema>) {
    return { received: body };
  }

  @Get('crash')
  crash(): never {
    throw new Error('secret internal detail: relation "merchants" password=hunter2');
  }

  @Get('slow')
  async slow() {
    await probeGate.current.wait();
    return { finished: true };
  }
}

@Module({ controllers: [ProbeController] })
export class ProbeModule {}
