import { InjectClock, type Clock } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { createFamily, familyEvent, type Family } from '../../domain/family.aggregate';
import { FamilyRepository, savedOrThrow, type Versioned } from '../../infrastructure/catalog.repositories';

@Injectable()
export class CreateFamilyHandler {
  constructor(
    private readonly families: FamilyRepository,
    @InjectClock() private readonly clock: Clock,
  ) {}

  async execute(code: string, name: string): Promise<Versioned<Family>> {
    return savedOrThrow(
      await this.families.change(
        code,
        (f) => createFamily(f, code, name, this.clock()),
        (f, v) => [familyEvent(f, v)],
      ),
    );
  }
}
