import { Operator, Public, routeAccessOf } from './route-access';

class Undecorated {
  route(): void {}
}

@Public()
class OpenController {
  route(): void {}

  @Operator()
  operatorRoute(): void {}
}

@Operator()
class OperatorController {
  route(): void {}

  @Public()
  publicRoute(): void {}
}

class InheritsOpen extends OpenController {}

@Operator()
class InheritsOpenAsOperator extends OpenController {}

describe('routeAccessOf', () => {
  it('asks for a merchant key where nothing is declared', () => {
    expect(routeAccessOf(Undecorated, Undecorated.prototype.route)).toBe('merchant');
  });

  it('takes the controller’s declaration for its routes', () => {
    expect(routeAccessOf(OpenController, OpenController.prototype.route)).toBe('public');
    expect(routeAccessOf(OperatorController, OperatorController.prototype.route)).toBe('operator');
  });

  it('lets a handler’s declaration override its controller’s', () => {
    expect(routeAccessOf(OpenController, OpenController.prototype.operatorRoute)).toBe('operator');
    expect(routeAccessOf(OperatorController, OperatorController.prototype.publicRoute)).toBe('public');
  });

  it('answers the same when asked again (remembered per route)', () => {
    for (let round = 0; round < 3; round += 1) {
      expect(routeAccessOf(Undecorated, Undecorated.prototype.route)).toBe('merchant');
      expect(routeAccessOf(OpenController, OpenController.prototype.route)).toBe('public');
    }
  });

  it('tells apart controllers that share one inherited handler', () => {
    const shared = OpenController.prototype.route;
    expect(routeAccessOf(OpenController, shared)).toBe('public');
    expect(routeAccessOf(InheritsOpen, shared)).toBe('public');
    expect(routeAccessOf(InheritsOpenAsOperator, shared)).toBe('operator');
  });
});
