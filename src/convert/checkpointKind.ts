// Recognises what a checkpoint that is not the expected RetinaNet looks like, from its key names,
// so the error can say "this is a Faster R-CNN" instead of listing 300 missing tensors.

const KINDS: { test: (names: string[]) => boolean; what: string }[] = [
  { test: (n) => n.some((k) => k.startsWith('backbone.bottom_up.')), what: 'a detectron2 model (backbone.bottom_up.* keys): convert it with --from detectron2' },
  { test: (n) => n.some((k) => k.startsWith('backbone.body.')) && n.some((k) => k.startsWith('head.classification_head.')), what: 'a torchvision RetinaNet: convert it with --from torchvision' },
  { test: (n) => n.some((k) => k.startsWith('roi_heads.')) || n.some((k) => k.startsWith('rpn.') || k.startsWith('proposal_generator.')), what: 'a two-stage detector such as Faster/Mask R-CNN (rpn / roi_heads keys)' },
  { test: (n) => n.some((k) => k.startsWith('head.cls_subnet.') || k.startsWith('head.cls_score')), what: 'a detectron2-style RetinaNet head without the detectron2 backbone names' },
  { test: (n) => n.includes('fc.weight') && n.some((k) => /^layer\d\./.test(k)), what: 'a ResNet image classifier (conv1 / layer1-4 / fc keys, no detection head)' },
  { test: (n) => n.some((k) => /^(module\.)?(layer\d|conv1|bn1)\./.test(k)), what: 'a bare ResNet backbone (no FPN or detection head)' },
];

/** A phrase such as "a ResNet image classifier (...)"; `fallback` when nothing matches. */
export function describeCheckpointKind(names: string[], fallback: string): string {
  return KINDS.find((k) => k.test(names))?.what ?? fallback;
}
