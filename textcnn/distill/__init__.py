"""Knowledge distillation: fine-tune a transformer teacher (:mod:`textcnn.distill.teacher`) and train a CNN student on
its logits (Tang et al., 2019, "Distilling Task-Specific Knowledge from BERT into Simple Neural Networks").

Nothing here is imported when a student model directory is loaded: a student is an ordinary textcnn model.
"""
