#!/usr/bin/python3
"""Exports the torch corpus: small real architectures with seeded random weights, nothing downloaded.

Run with Debian's /usr/bin/python3 (python3-torch 1.13, python3-torchvision 0.14):

    /usr/bin/python3 models/corpus/torch/export.py <out-dir>

For each model, into <out-dir>/<name>/:
  model.onnx   the inference model (input -> logits)
  loss.onnx    the same network with F.cross_entropy in the graph (inputs input, labels; outputs loss, logits):
               the form every PyTorch user exports (SoftmaxCrossEntropyLoss, ignore_index=-100)
  input.npy, labels.npy                 the fixed batch (labels may hold -100: an ignored row)
  logits.npy, loss.npy                  torch's outputs for that batch (float64 forward)
  grad/<i>.npy                          torch autograd's d loss / d parameter for every parameter
                                        (computed in float64, stored as float32)
  manifest.json                         onnx initializer name <-> torch state_dict key <-> file (see CORPUS.md)
Then <out-dir>/index.json lists the models and the hash of this script (the cache key).

The reference gradient is computed in float64 from the same float32 weights, so the only float32
rounding in a comparison is ours. Eval-mode exports (with TrainingMode.PRESERVE, so no Conv+BN
fusion) keep each state_dict tensor as its own initializer, except where the exporter merges
initializers whose values are equal: squeezenet1_1 keeps torchvision's init (all Conv biases zero)
on purpose, to hold that case (manifest: one initializer, several torch keys, and per use the key).
Other models get seeded noise on every parameter and buffer so that no two are equal by accident.
"""
import copy
import hashlib
import json
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

OPSET = 14


class MlpLn(nn.Module):
    """Linear + LayerNorm + GELU (erf form), exported at opset 17: LayerNormalization-17."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(20, 32)
        self.ln = nn.LayerNorm(32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        return self.fc2(F.gelu(self.ln(self.fc1(x))))


class Encoder(nn.Module):
    """One nn.TransformerEncoderLayer (batch_first), mean over the sequence, a Linear head.
    Exported at opset 14: LayerNorm decomposed (ReduceMean/Sub/Pow/Sqrt/Div), attention as MatMul/Softmax."""

    def __init__(self):
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(d_model=16, nhead=2, dim_feedforward=32, dropout=0.1, batch_first=True)
        self.head = nn.Linear(16, 10)

    def forward(self, x):
        return self.head(self.layer(x).mean(dim=1))


class CnnBn(nn.Module):
    """Conv + BatchNorm (training mode: batch statistics) + ReLU + MaxPool, twice; GAP; Linear."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(16)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.relu(self.bn2(self.conv2(x)))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class Decoder(nn.Module):
    """A small decoder: ConvTranspose2d (groups, stride, output_padding), bilinear F.interpolate with
    align_corners False (Resize linear, half_pixel) and True (align_corners, by sizes), nn.Upsample
    (nearest, then bilinear), and einsum attention over the pixels ('bhid,bhjd->bhij',
    'bhij,bhjd->bhid', '...id,...jd->...ij'). Exported at opset 14."""

    def __init__(self):
        super().__init__()
        self.enc = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        # 4 channels after the ConvTranspose: ORT 1.30's WebGPU Conv computes 3x3 Convs with 6, 9, 15 or 18
        # input channels wrongly (relative error ~1 against its CPU EP; the other counts up to 20 are right).
        self.up = nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1, groups=2)
        self.mix = nn.Conv2d(4, 4, 3, stride=2, padding=1)
        self.nearest = nn.Upsample(scale_factor=2, mode='nearest')
        self.bilinear = nn.Upsample(scale_factor=2, mode='bilinear', align_corners=False)
        self.qkv = nn.Linear(4, 24)
        self.head = nn.Linear(8, 10)

    def forward(self, x):
        x = F.relu(self.enc(x))  # [N, 8, 4, 4]
        x = F.relu(self.up(x))  # [N, 4, 8, 8]
        x = F.interpolate(x, scale_factor=2, mode='bilinear', align_corners=False)  # [N, 4, 16, 16]
        x = self.mix(x)  # [N, 4, 8, 8]
        x = F.interpolate(x, size=(3, 5), mode='bilinear', align_corners=True)  # [N, 4, 3, 5]
        x = self.bilinear(self.nearest(x))  # [N, 4, 12, 20]
        t = x.flatten(2).transpose(1, 2)  # [N, L, 4]
        q, k, v = self.qkv(t).chunk(3, dim=-1)
        n, l, _ = q.shape
        q, k, v = (z.reshape(n, l, 2, 4).transpose(1, 2) for z in (q, k, v))
        s = torch.einsum('bhid,bhjd->bhij', q, k) * 0.5
        o = torch.einsum('bhij,bhjd->bhid', s.softmax(-1), v).transpose(1, 2).reshape(n, l, 8)
        g = torch.einsum('...id,...jd->...ij', o, o).mean(-1)  # [N, L]
        # a factor, not a summand: a per-row constant added to the logits gets no gradient through the softmax
        return self.head(o.mean(1)) * (1 + 0.1 * g.mean(-1, keepdim=True))


class WithLoss(nn.Module):
    def __init__(self, net, loss_fn):
        super().__init__()
        self.net = net
        self.loss_fn = loss_fn

    def forward(self, x, labels):
        logits = self.net(x)
        return self.loss_fn(logits, labels), logits


class Head(nn.Module):
    """A Linear (or, for rank-3 scores [N, C, L], a 1x1 Conv1d) under a loss: the losses as exporters write them."""

    def __init__(self, c, rank3=False):
        super().__init__()
        self.proj = nn.Conv1d(6, c, 1) if rank3 else nn.Linear(6, c)

    def forward(self, x):
        return self.proj(x)


CE = lambda logits, labels: F.cross_entropy(logits, labels)
CLASS_WEIGHT = torch.tensor([0.5, 2.0, 1.0, 1.5, 0.25])
ELEMENT_WEIGHT = torch.tensor([[1.0, -2.0, 0.5], [0.25, 3.0, -1.0], [2.0, 1.0, 0.5], [-0.5, 1.5, 1.0]])
POS_WEIGHT = torch.tensor([2.0, 0.5, 1.0, 3.0, 1.0])


def perturb(net, gen):
    """Seeded noise on every parameter and buffer (running_var stays positive), so no values repeat."""
    with torch.no_grad():
        for name, t in list(net.named_parameters()) + list(net.named_buffers()):
            if not t.is_floating_point():
                continue
            noise = torch.randn(t.shape, generator=gen) * 0.1
            if name.endswith('running_var'):
                t.copy_(1 + noise.abs())
            elif name.endswith('weight') and t.dim() == 1:  # norm scales around 1
                t.copy_(1 + noise)
            else:
                t.add_(noise)


def calibrate(net, shape, gen):
    """BatchNorm running statistics from a calibration batch (as after training), so that an eval-mode
    network keeps its activations in range (with the noise alone resnet18's loss was ~6e5)."""
    norms = [m for m in net.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # a cumulative average: exactly this batch's statistics
    net.train()
    with torch.no_grad():
        net(torch.randn((8,) + tuple(shape[1:]), generator=gen))
    for m in norms:
        m.momentum = 0.1


# The losses: F.cross_entropy with weight / every reduction / rank 3, nll_loss(log_softmax),
# log_softmax reaching the loss beside the cross entropy, BCE with logits (pos_weight), MSE and L1
# as users write them in torch 1.13 (which exports no mse_loss/l1_loss). Labels: 'class' (int64,
# some -100) or 'target' (float, like the logits).
LOSSES = [
    ('loss_ce_weight_mean', 5, False, 'class', lambda l, y: F.cross_entropy(l, y, weight=CLASS_WEIGHT.to(l.dtype))),
    ('loss_ce_sum', 5, False, 'class', lambda l, y: F.cross_entropy(l, y, reduction='sum')),
    ('loss_ce_none', 5, True, 'class', lambda l, y: (F.cross_entropy(l, y, reduction='none') * ELEMENT_WEIGHT.to(l.dtype)).sum()),
    ('loss_ce_rank3_weight', 5, True, 'class', lambda l, y: F.cross_entropy(l, y, weight=CLASS_WEIGHT.to(l.dtype))),
    ('loss_nll_log_softmax', 5, True, 'class', lambda l, y: F.nll_loss(F.log_softmax(l, 1), y, weight=CLASS_WEIGHT.to(l.dtype), reduction='sum')),
    ('loss_ce_and_log_prob', 5, False, 'class', lambda l, y: F.cross_entropy(l, y) + 0.1 * (F.log_softmax(l, 1) ** 2).mean()),
    ('loss_bce_logits', 5, False, 'target', lambda l, y: F.binary_cross_entropy_with_logits(l, y, pos_weight=POS_WEIGHT.to(l.dtype))),
    ('loss_mse', 5, False, 'target', lambda l, y: ((l - y) ** 2).mean()),
    ('loss_l1', 5, False, 'target', lambda l, y: (l - y).abs().mean()),
]

RANK3 = {name for name, _, r3, _, _ in LOSSES if r3}

# name, constructor, input shape, ignored label rows, perturb, training-mode export, opset, loss, labels
SPECS = [
    ('resnet18', lambda: torchvision.models.resnet18(num_classes=10), (2, 3, 32, 32), [], True, False, OPSET, CE, 'class'),
    ('mobilenet_v2', lambda: torchvision.models.mobilenet_v2(width_mult=0.25, num_classes=10), (2, 3, 32, 32), [], True, False, OPSET, CE, 'class'),
    ('squeezenet1_1', lambda: torchvision.models.squeezenet1_1(num_classes=10), (2, 3, 64, 64), [], False, False, OPSET, CE, 'class'),
    ('transformer_encoder', Encoder, (3, 5, 16), [1], True, False, OPSET, CE, 'class'),
    ('mlp_layernorm_gelu', MlpLn, (4, 20), [2], True, False, 17, CE, 'class'),
    ('cnn_batchnorm_train', CnnBn, (4, 3, 16, 16), [], True, True, OPSET, CE, 'class'),
] + [(name, (lambda c=c, r3=r3: Head(c, r3)), (4, 6, 3) if r3 else (4, 6), [1], True, False, OPSET, fn, labels)
     for name, c, r3, labels, fn in LOSSES] + [
    # last, so that the models above keep their seeds
    ('decoder_upsample_attention', Decoder, (2, 3, 8, 8), [], True, False, OPSET, CE, 'class'),
]


def export(module, args, path, input_names, output_names, training, opset):
    mode = torch.onnx.TrainingMode.TRAINING if training else torch.onnx.TrainingMode.PRESERVE
    dynamic = None
    torch.onnx.export(module, args, path, input_names=input_names, output_names=output_names, opset_version=opset,
                      do_constant_folding=False, training=mode, dynamic_axes=dynamic)


def initializer_uses(path):
    """For each initializer: its (node name, input index) uses, in node order."""
    m = onnx.load(path)
    inits = {t.name for t in m.graph.initializer}
    # the exporter shares a merged initializer through Identity nodes: follow them to the real readers
    alias = {n: n for n in inits}
    for node in m.graph.node:
        if node.op_type == 'Identity' and node.input[0] in alias:
            alias[node.output[0]] = alias[node.input[0]]
    uses = {n: [] for n in inits}
    for node in m.graph.node:
        if node.op_type == 'Identity' and node.input[0] in alias:
            continue
        for i, name in enumerate(node.input):
            if name in alias:
                uses[alias[name]].append((node.name, i))
    return m, uses


def mapping(path, prefix, keys, twin_path, values):
    """onnx initializer -> torch keys. Initializers named by a key map to it; merged ones are matched
    use by use against `twin_path`, the same export from weights with no equal values."""
    m, uses = initializer_uses(path)
    twin = {}
    if twin_path:
        tm, tuses = initializer_uses(twin_path)
        for name, us in tuses.items():
            for u in us:
                twin[u] = name
    out = []
    for t in m.graph.initializer:
        key = t.name[len(prefix):] if t.name.startswith(prefix) else t.name
        entry = {'onnx': t.name, 'shape': list(t.dims), 'uses': []}
        for node, i in uses[t.name]:
            k = twin.get((node, i), t.name)
            k = k[len(prefix):] if k.startswith(prefix) else k
            entry['uses'].append({'node': node, 'input': i, 'torch': k if k in keys else None})
        torch_keys = sorted({u['torch'] for u in entry['uses'] if u['torch']} | ({key} if key in keys else set()))
        entry['torch'] = torch_keys
        if not torch_keys:
            # a buffer (BatchNorm's running statistics) or a constant the exporter made: not a parameter
            if key in values:
                entry['buffer'] = key
            else:
                entry['constant'] = True
        else:
            # sanity: the initializer holds the value of each key it stands for
            arr = numpy_helper.to_array(t)
            for k in torch_keys:
                if not np.array_equal(arr.reshape(values[k].shape), values[k]):
                    raise SystemExit(f'{path}: initializer {t.name} does not hold {k}')
        out.append(entry)
    return out


def build(spec, out_dir, seed):
    name, ctor, shape, ignored, do_perturb, training, opset, loss_fn, label_kind = spec
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    net = ctor()
    if do_perturb:
        perturb(net, gen)
        calibrate(net, shape, gen)
    net.train(training)
    d = os.path.join(out_dir, name)
    os.makedirs(os.path.join(d, 'grad'))
    x = torch.randn(shape, generator=gen)
    if label_kind == 'class':
        classes = 10 if loss_fn is CE else 5
        labels = torch.randint(0, classes, (shape[0],) + (tuple(shape[2:]) if name in RANK3 else ()), generator=gen)
        for r in ignored:
            labels[r] = -100
    else:
        ignored = []
        labels = torch.rand((shape[0], 5), generator=gen)

    # torch's reference, float64 from the float32 weights (BN training mode: batch statistics;
    # dropout in the encoder is off in eval mode).
    ref = copy.deepcopy(net).double()
    ref.train(training)
    logits = ref(x.double())
    loss = loss_fn(logits, labels)
    params = dict(ref.named_parameters())
    grads = torch.autograd.grad(loss, list(params.values()))
    values = {k: v.detach().numpy().astype(np.float32) for k, v in net.state_dict().items() if v.is_floating_point()}

    net_export = copy.deepcopy(net)
    export(net_export, (x,), os.path.join(d, 'model.onnx'), ['input'], ['logits'], training, opset)
    export(WithLoss(copy.deepcopy(net), loss_fn).train(training), (x, labels), os.path.join(d, 'loss.onnx'), ['input', 'labels'], ['loss', 'logits'], training, opset)
    twins = {}
    if not do_perturb:
        # the same export from weights with no equal values: names every use by its torch key
        twin = copy.deepcopy(net)
        perturb(twin, torch.Generator().manual_seed(seed + 1000))
        for f, mod, args, ins, outs in [('model', twin, (x,), ['input'], ['logits']),
                                       ('loss', WithLoss(copy.deepcopy(twin), loss_fn).train(training), (x, labels), ['input', 'labels'], ['loss', 'logits'])]:
            twins[f] = os.path.join(d, f'.twin-{f}.onnx')
            export(mod, args, twins[f], ins, outs, training, opset)

    np.save(os.path.join(d, 'input.npy'), x.numpy().astype(np.float32))
    np.save(os.path.join(d, 'labels.npy'), labels.numpy().astype(np.int64 if label_kind == 'class' else np.float32))
    np.save(os.path.join(d, 'logits.npy'), logits.detach().numpy())
    np.save(os.path.join(d, 'loss.npy'), loss.detach().numpy())
    param_entries = []
    for i, (k, g) in enumerate(zip(params.keys(), grads)):
        np.save(os.path.join(d, 'grad', f'{i}.npy'), np.ascontiguousarray(g.numpy().astype(np.float32)))  # C order: a transposed use (qkv) gives a Fortran-order gradient
        param_entries.append({'torch': k, 'shape': list(g.shape), 'grad': f'grad/{i}.npy'})
    keys = set(params.keys())
    manifest = {
        'name': name,
        'torch': torch.__version__,
        'torchvision': torchvision.__version__,
        'opset': opset,
        'training': training,
        'input': {'name': 'input', 'file': 'input.npy', 'shape': list(shape), 'dtype': 'float32'},
        'labels': {'name': 'labels', 'file': 'labels.npy', 'shape': list(labels.shape), 'dtype': 'int64' if label_kind == 'class' else 'float32', 'ignored_rows': ignored},
        'loss': 'F.cross_entropy' if loss_fn is CE else name,
        'outputs': {'logits': 'logits.npy', 'loss': 'loss.npy'},
        'params': param_entries,
        'onnx': {
            'model.onnx': mapping(os.path.join(d, 'model.onnx'), '', keys, twins.get('model'), values),
            'loss.onnx': mapping(os.path.join(d, 'loss.onnx'), 'net.', keys, twins.get('loss'), values),
        },
    }
    for f in twins.values():
        os.remove(f)
    with open(os.path.join(d, 'manifest.json'), 'w') as fh:
        json.dump(manifest, fh, indent=1)
    ops = sorted({n.op_type for n in onnx.load(os.path.join(d, 'loss.onnx')).graph.node})
    print(f'{name}: {len(param_entries)} parameters, ops {",".join(ops)}', file=sys.stderr)
    return {'name': name, 'dir': name, 'params': len(param_entries), 'ops': ops}


def script_hash():
    h = hashlib.sha256()
    with open(os.path.abspath(__file__), 'rb') as fh:
        h.update(fh.read())
    h.update(torch.__version__.encode())
    h.update(torchvision.__version__.encode())
    return h.hexdigest()


def main():
    if len(sys.argv) != 2:
        raise SystemExit('usage: export.py <out-dir>  (an empty or missing folder)')
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    if os.listdir(out_dir):
        raise SystemExit(f'{out_dir} is not empty')
    torch.set_num_threads(1)
    models = [build(spec, out_dir, 10 + i) for i, spec in enumerate(SPECS)]
    with open(os.path.join(out_dir, 'index.json'), 'w') as fh:
        json.dump({'hash': script_hash(), 'models': models}, fh, indent=1)


if __name__ == '__main__':
    main()
