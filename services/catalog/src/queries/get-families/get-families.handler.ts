import { notFound } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import type { Family } from '../../domain/family.aggregate';
import { FamilyRepository, versioned, type Versioned } from '../../infrastructure/catalog.repositories';

@Injectable()
export class GetFamiliesHandler {
  constructor(private readonly families: FamilyRepository) {}

  async get(code: string): Promise<Versioned<Family>> {
    const doc = await this.families.load(code);
    if (!doc) throw notFound('CATALOG.FAMILY_NOT_FOUND', `no family ${code}`);
    return versioned(doc);
  }

  async list(): Promise<Versioned<Family>[]> {
    return (await this.families.find({})).map(versioned);
  }
}
