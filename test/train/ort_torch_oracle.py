#!/usr/bin/python3
"""PyTorch oracle for the ORT training-artifact tests.

Reads an ONNX forward model with the onnx package, rebuilds its forward pass
from torch.nn.functional (a small interpreter for the ops the test models
use), and trains it with torch.optim for N steps on the given batches.
Nothing here comes from onnx-trelu or ONNX Runtime: the weights are the
model's initializers, the gradients torch's autograd, the update torch.optim's.

stdin: JSON {model, trainable: [names], steps: [{inputs: {name: {dims, data}}, labels: [..]}],
             loss: 'cross-entropy'|'mse' on output `on`, or 'graph': output `on` is the model's own loss
             of the input `labels_input`,
             optimizer: {type: 'adamw'|'sgd', lr, betas, eps, weight_decay}}
stdout: JSON {losses: [...], params: {name: base64 of the float32 values, little-endian}}
"""
import base64
import json
import sys

import numpy as np
import onnx
import onnx.numpy_helper
import torch
import torch.nn.functional as F


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def run_node(node, x):
    a = attrs(node)
    op = node.op_type
    if op == 'Gemm':
        A, B = x[0], x[1]
        if a.get('transA', 0):
            A = A.t()
        if a.get('transB', 0):
            B = B.t()
        y = a.get('alpha', 1.0) * (A @ B)
        if len(x) > 2 and x[2] is not None:
            y = y + a.get('beta', 1.0) * x[2]
        return [y]
    if op == 'MatMul':
        return [x[0] @ x[1]]
    if op in ('Add', 'Sub', 'Mul', 'Div', 'Pow'):
        a0, a1 = x[0], x[1]
        return [{'Add': a0 + a1, 'Sub': a0 - a1, 'Mul': a0 * a1, 'Div': a0 / a1 if a0.is_floating_point() else torch.div(a0, a1, rounding_mode='trunc'), 'Pow': a0 ** a1}[op]]
    if op == 'Sqrt':
        return [torch.sqrt(x[0])]
    if op in ('Identity', 'Dropout'):
        return [x[0]]
    if op == 'Constant':
        return [torch.from_numpy(onnx.numpy_helper.to_array(a['value']).copy())]
    if op == 'Shape':
        return [torch.tensor(list(x[0].shape), dtype=torch.int64)]
    if op == 'Gather':
        axis = a.get('axis', 0)
        idx = x[1]
        idx = torch.where(idx < 0, idx + x[0].shape[axis], idx)
        return [torch.index_select(x[0], axis, idx.reshape(-1)).reshape(x[0].shape[:axis] + idx.shape + x[0].shape[axis + 1:])]
    if op == 'Unsqueeze':
        axes = a['axes'] if 'axes' in a else [int(v) for v in x[1].tolist()]
        y = x[0]
        rank = y.dim() + len(axes)
        for ax in sorted(ax % rank for ax in axes):
            y = y.unsqueeze(ax)
        return [y]
    if op == 'Concat':
        return [torch.cat(x, dim=a['axis'])]
    if op == 'Transpose':
        return [x[0].permute(*a['perm'])]
    if op == 'Reshape':
        shape = [int(d) for d in x[1].tolist()]
        shape = [x[0].shape[i] if d == 0 and not a.get('allowzero', 0) else d for i, d in enumerate(shape)]
        return [x[0].reshape(shape)]
    if op == 'Slice':
        starts, ends = x[1].tolist(), x[2].tolist()
        axes = x[3].tolist() if len(x) > 3 and x[3] is not None else list(range(len(starts)))
        steps = x[4].tolist() if len(x) > 4 and x[4] is not None else [1] * len(starts)
        index = [slice(None)] * x[0].dim()
        for s0, e0, ax, st in zip(starts, ends, axes, steps):
            assert st > 0, 'negative Slice steps'
            index[ax] = slice(s0, e0, st)
        return [x[0][tuple(index)]]
    if op == 'ReduceMean':
        return [x[0].mean(dim=tuple(a['axes']), keepdim=bool(a.get('keepdims', 1)))]
    if op == 'Softmax':
        return [F.softmax(x[0], dim=a.get('axis', -1))]
    if op == 'BatchNormalization':
        assert not a.get('training_mode', 0), 'BatchNormalization in training mode'
        return [F.batch_norm(x[0], x[3], x[4], x[1], x[2], training=False, eps=a.get('epsilon', 1e-5))]
    if op == 'SoftmaxCrossEntropyLoss':
        red = a.get('reduction', b'mean')
        return [F.cross_entropy(x[0], x[1], ignore_index=a.get('ignore_index', -100), reduction=red.decode() if isinstance(red, bytes) else red)]
    if op == 'ThresholdedRelu':
        alpha = a.get('alpha', 1.0)
        return [torch.where(x[0] > alpha, x[0], torch.zeros_like(x[0]))]
    if op == 'Relu':
        return [F.relu(x[0])]
    if op == 'Conv':
        pads = a.get('pads', [0, 0, 0, 0])
        assert pads[0] == pads[2] and pads[1] == pads[3], 'asymmetric pads'
        return [F.conv2d(x[0], x[1], x[2] if len(x) > 2 else None, stride=a.get('strides', 1),
                         padding=(pads[0], pads[1]), dilation=a.get('dilations', 1), groups=a.get('group', 1))]
    if op == 'MaxPool':
        pads = a.get('pads', [0, 0, 0, 0])
        return [F.max_pool2d(x[0], a['kernel_shape'], stride=a.get('strides', a['kernel_shape']), padding=(pads[0], pads[1]), ceil_mode=bool(a.get('ceil_mode', 0)))]
    if op == 'AveragePool':
        pads = a.get('pads', [0, 0, 0, 0])
        return [F.avg_pool2d(x[0], a['kernel_shape'], stride=a.get('strides', a['kernel_shape']), padding=(pads[0], pads[1]),
                             count_include_pad=bool(a.get('count_include_pad', 0)))]
    if op == 'GlobalAveragePool':
        return [x[0].mean(dim=tuple(range(2, x[0].dim())), keepdim=True)]
    if op == 'Flatten':
        axis = a.get('axis', 1)
        return [x[0].reshape(int(np.prod(x[0].shape[:axis])), -1)]
    if op == 'Reshape':
        return [x[0].reshape([int(d) for d in x[1].tolist()])]
    raise NotImplementedError(op)


def forward(graph, values):
    for node in graph.node:
        outs = run_node(node, [values.get(n) if n else None for n in node.input])
        for name, v in zip(node.output, outs):
            values[name] = v
    return values


class HuggingFaceAdamW(torch.optim.Optimizer):
    """transformers.AdamW (not installed here), written out from its documented update: bias correction
    folded into the step size, eps added to sqrt(v) before it, weight decay after the update."""

    def __init__(self, params, lr, betas, eps, weight_decay):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            b1, b2 = group['betas']
            for p in group['params']:
                st = self.state[p]
                if not st:
                    st['step'] = 0
                    st['m'] = torch.zeros_like(p)
                    st['v'] = torch.zeros_like(p)
                st['step'] += 1
                t = st['step']
                st['m'].mul_(b1).add_(p.grad, alpha=1 - b1)
                st['v'].mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
                denom = st['v'].sqrt().add_(group['eps'])
                step_size = group['lr'] * (1 - b2 ** t) ** 0.5 / (1 - b1 ** t)
                p.addcdiv_(st['m'], denom, value=-step_size)
                if group['weight_decay'] > 0:
                    p.add_(p, alpha=-group['lr'] * group['weight_decay'])


def main():
    spec = json.load(sys.stdin)
    torch.manual_seed(0)
    model = onnx.load(spec['model'])
    g = model.graph
    params = {}
    consts = {}
    for init in g.initializer:
        arr = torch.from_numpy(onnx.numpy_helper.to_array(init).copy())
        if init.name in spec['trainable']:
            params[init.name] = torch.nn.Parameter(arr)
        else:
            consts[init.name] = arr
    ordered = [params[n] for n in spec['trainable']]
    o = spec['optimizer']
    if o['type'] == 'adamw':
        opt = torch.optim.AdamW(ordered, lr=o['lr'], betas=tuple(o['betas']), eps=o['eps'], weight_decay=o['weight_decay'])
    elif o['type'] == 'adamw_hf':
        opt = HuggingFaceAdamW(ordered, lr=o['lr'], betas=tuple(o['betas']), eps=o['eps'], weight_decay=o['weight_decay'])
    else:
        opt = torch.optim.SGD(ordered, lr=o['lr'])
    clip = spec.get('clip_grad_norm')
    # Optional starting optimizer state (what a checkpoint holds): {step, params: {name: {exp_avg, exp_avg_sq}}}.
    start = spec.get('initial_state')
    if start:
        for name, st in start['params'].items():
            p = params[name]
            opt.state[p] = {'step': torch.tensor(float(start['step'])),
                            'exp_avg': torch.tensor(st['exp_avg'], dtype=torch.float32).reshape(p.shape),
                            'exp_avg_sq': torch.tensor(st['exp_avg_sq'], dtype=torch.float32).reshape(p.shape)}
    losses = []
    accumulate = spec.get('accumulate') or 1
    for index, step in enumerate(spec['steps']):
        first, last = index % accumulate == 0, index % accumulate == accumulate - 1
        values = dict(consts)
        values.update(params)
        for name, t in step['inputs'].items():
            values[name] = torch.tensor(t['data'], dtype=torch.float32).reshape(t['dims'])
        if spec['loss'] == 'graph':
            # The model computes its own loss from a 'labels' input (SoftmaxCrossEntropyLoss and all).
            values[spec['labels_input']] = torch.tensor(step['labels'], dtype=torch.int64)
            loss = forward(g, values)[spec['on']]
        else:
            out = forward(g, values)[spec['on']]
            if spec['loss'] == 'cross-entropy':
                loss = F.cross_entropy(out, torch.tensor(step['labels'], dtype=torch.int64))
            else:
                loss = F.mse_loss(out, torch.tensor(step['labels'], dtype=torch.float32).reshape(out.shape))
        # Gradients of `accumulate` micro-batches are summed (backward without zero_grad), then one step.
        if first:
            opt.zero_grad()
        loss.backward()
        if last:
            if clip is not None:
                torch.nn.utils.clip_grad_norm_(ordered, clip)
            opt.step()
        losses.append(loss.item())
    # Parameters as little-endian float32 bytes in base64 (exactly torch's values; JSON lists of a million floats are slow).
    json.dump({'losses': losses, 'params': {n: base64.b64encode(p.detach().numpy().astype('<f4').tobytes()).decode() for n, p in params.items()}}, sys.stdout)


if __name__ == '__main__':
    main()
