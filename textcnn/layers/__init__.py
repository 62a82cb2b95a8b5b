"""The shared CNN core: every text and image model in textcnn is built from these blocks."""

from textcnn.layers._create import LayerSpec, get_act_layer, get_norm_layer, list_activations
from textcnn.layers.arithmetic import conv_multiplies, conv_output_size, conv_params, count_parameters
from textcnn.layers.classifier import ClassifierHead, MaxNormLinear, apply_constraints
from textcnn.layers.conv_norm_act import ConvNormAct
from textcnn.layers.dense import DenseBlock, DenseLayer, Transition
from textcnn.layers.inception import Inception
from textcnn.layers.pooling import GlobalPool, MaxOverTimePool, masked_max_over_time, pool2d
from textcnn.layers.residual import BasicBlock, Bottleneck

__all__ = [
    "BasicBlock",
    "LayerSpec",
    "Bottleneck",
    "ClassifierHead",
    "ConvNormAct",
    "DenseBlock",
    "DenseLayer",
    "GlobalPool",
    "Inception",
    "MaxNormLinear",
    "MaxOverTimePool",
    "Transition",
    "apply_constraints",
    "conv_multiplies",
    "conv_output_size",
    "conv_params",
    "count_parameters",
    "get_act_layer",
    "get_norm_layer",
    "list_activations",
    "masked_max_over_time",
    "pool2d",
]
