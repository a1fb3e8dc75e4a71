// What the doors serve: a list of (descriptor, implementation) pairs, already guarded.
import type { DescService } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";

export interface ServedService<S extends DescService = DescService> {
  service: S;
  impl: ServiceImpl<S>;
}

export const served = <S extends DescService>(service: S, impl: ServiceImpl<S>): ServedService =>
  ({ service, impl }) as unknown as ServedService;
