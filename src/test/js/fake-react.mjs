// Just enough of React's hooks (useState, useEffect, useRef) to run one custom hook in Node:
// renderHook(hook, props) renders it, re-renders after every state change, and runs effects like React.
let rendering = null;

export function renderHook(hook, props) {
  const component = { hook, props, slots: [], cursor: 0, effects: [], dirty: false, mounted: true, result: undefined };
  render(component);
  return {
    get result() {
      return component.result;
    },
    rerender(newProps) {
      component.props = newProps;
      render(component);
    },
    unmount() {
      component.mounted = false;
      component.slots.forEach((slot) => slot.cleanup?.());
    },
  };
}

function render(component) {
  if (rendering) {
    component.dirty = true; // a state change during an effect: render again once it is done
    return;
  }
  do {
    component.dirty = false;
    rendering = component;
    component.cursor = 0;
    component.effects = [];
    component.result = component.hook(component.props);
    component.effects.forEach((effect) => effect());
    rendering = null;
  } while (component.dirty);
}

function slot(create) {
  return (rendering.slots[rendering.cursor++] ??= create());
}

export function useState(initial) {
  const component = rendering;
  const state = slot(() => ({ value: initial }));
  const set = (next) => {
    state.value = typeof next === "function" ? next(state.value) : next;
    if (component.mounted) {
      render(component);
    }
  };
  return [state.value, set];
}

export function useEffect(effect, deps) {
  const state = slot(() => ({ deps: null, cleanup: null }));
  if (state.deps === null || deps.some((dep, i) => !Object.is(dep, state.deps[i]))) {
    state.deps = deps;
    rendering.effects.push(() => {
      state.cleanup?.();
      state.cleanup = effect() ?? null;
    });
  }
}

export function useRef(initial) {
  return slot(() => ({ current: initial }));
}
