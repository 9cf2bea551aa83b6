"""Kept for the kit's file list; the model takes its layers from torchvision."""
