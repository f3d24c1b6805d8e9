"""The one list of panels.

Each entry names its panel and where the panel lives; the module is imported only when the
panel is opened, so start-up time and memory do not grow with the number of panels.

Adding a panel: one `Entry` line below (its id, title, topic and search keywords must match
the class's own: a test checks), plus the panel module, its explanation and its tests.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    topic: str
    module: str        # visualizer.panels.<module>
    cls: str
    keywords: str = ""  # what else the sidebar search matches: SGD, Adam, Lloyd, Voronoi…

    def load(self) -> type:
        """The panel class (imports its module the first time)."""
        return getattr(importlib.import_module(f"visualizer.panels.{self.module}"), self.cls)


PANELS = [
    Entry("kmeans", "k-means clustering", "Unsupervised learning", "kmeans", "KMeansPanel",
          "clustering Lloyd Voronoi centroid elbow inertia k-means++"),
    Entry("knn", "k nearest neighbours", "Supervised learning", "knn", "KNNPanel",
          "KNN classification classifier neighbours vote distance decision boundary"),
    Entry("logistic", "Logistic regression", "Supervised learning", "logistic",
          "LogisticPanel", "classification classifier softmax sigmoid cross-entropy gradient "
          "descent L2 decision boundary"),
    Entry("svm", "Support vector machine", "Supervised learning", "svm", "SVMPanel",
          "SVM classification classifier margin hinge loss SMO kernel RBF polynomial "
          "support vectors"),
    Entry("tree", "Decision tree", "Supervised learning", "tree", "TreePanel",
          "CART classification classifier split gini entropy impurity information gain "
          "threshold depth leaf"),
    Entry("forest", "Bagging and random forest", "Supervised learning", "forest",
          "ForestPanel", "ensemble bootstrap bagging random forest trees vote out-of-bag OOB"),
    Entry("adaboost", "AdaBoost", "Supervised learning", "adaboost", "AdaBoostPanel",
          "boosting ensemble SAMME stump weak learner sample weights"),
    Entry("gradient_boosting", "Gradient boosting", "Supervised learning",
          "gradient_boosting", "GradientBoostingPanel",
          "boosting ensemble residuals pseudo-residuals log-loss learning rate shrinkage "
          "GBM trees"),
    Entry("compare", "Compare classifiers", "Supervised learning", "compare", "ComparePanel",
          "classifier comparison side by side grid accuracy KNN logistic SVM tree forest "
          "AdaBoost gradient boosting decision boundary"),
    Entry("pca", "PCA, step by step", "Unsupervised learning", "pca", "PCAPanel",
          "principal component analysis SVD eigenvector covariance scree biplot loadings "
          "dimensionality reduction explained variance reconstruction"),
    Entry("activations", "Activation functions", "Neural network basics", "activations",
          "ActivationsPanel", "sigmoid tanh ReLU leaky ELU GELU softplus softmax temperature "
          "derivative dead ReLU saturation non-linearity neuron"),
    Entry("losses", "Loss functions", "Neural network basics", "losses", "LossesPanel",
          "cost L1 L2 Huber cross-entropy hinge gradient outlier absolute squared error"),
    Entry("backprop", "Backpropagation, step by step", "Neural networks", "backprop",
          "BackpropPanel", "chain rule gradient delta forward backward pass weight update MLP"),
    Entry("network_training", "Training a neural network", "Neural networks",
          "network_training", "NetworkTrainingPanel",
          "MLP multilayer perceptron decision regions hidden units loss curve playground"),
    Entry("dropout", "Dropout and DropConnect", "Neural networks", "dropout",
          "DropoutPanel", "dropout DropConnect regularisation regularization mask inverted "
          "dropout rescaling overfitting neural network"),
    Entry("pruning", "Pruning: prune, retrain, repeat", "Neural networks", "pruning",
          "PruningPanel", "magnitude pruning sparsity sparse lottery ticket retrain "
          "compression weights histogram neural network"),
    Entry("optimizers", "Optimizers on a loss surface", "Optimization", "optimizers",
          "OptimizersPanel", "gradient descent momentum Nesterov AdaGrad RMSProp Adam "
          "Rosenbrock Himmelblau saddle learning rate"),
    Entry("minibatch", "Batch, stochastic and mini-batch", "Optimization", "minibatch",
          "MiniBatchPanel", "gradient descent SGD stochastic epoch regression logistic"),
    Entry("nms", "Non-maximum suppression", "Computer vision", "nms", "NMSPanel",
          "NMS IoU intersection over union detector boxes face Haar cascade soft-NMS webcam "
          "video YOLO object detection"),
    Entry("convolution", "Convolution: a kernel over your picture", "Computer vision",
          "convolution", "ConvolutionPanel", "kernel filter blur Gaussian Sobel edge sharpen "
          "Laplacian emboss Gabor padding stride dilation feature map CNN filter2D webcam"),
    Entry("feature_maps", "Feature maps: a CNN's first layer", "Computer vision",
          "feature_maps", "FeatureMapsPanel", "CNN convolutional layer filter bank feature map "
          "ReLU max pooling average pooling Gabor edge colour channels"),
    Entry("pooling", "Pooling, window by window", "Computer vision", "pooling",
          "PoolingPanel", "max pooling average pooling window stride downsampling feature map "
          "ReLU CNN webcam"),
    Entry("separable", "Depthwise-separable convolution (MobileNet)", "Computer vision",
          "separable", "SeparablePanel", "MobileNet depthwise pointwise 1x1 convolution "
          "multiply-adds cost im2col GEMM matrix product channels"),
    Entry("overfit_degree", "Underfitting and overfitting", "Overfitting", "overfit_degree",
          "OverfitDegreePanel", "polynomial degree capacity validation test split bias "
          "variance underfit overfit"),
    Entry("overfit_regularization", "Regularization: ridge and lasso", "Overfitting",
          "overfit_regularization", "OverfitRegularizationPanel", "L1 L2 ridge lasso lambda "
          "penalty shrinkage coordinate descent soft thresholding sparsity"),
    Entry("overfit_early_stopping", "Early stopping", "Overfitting", "overfit_early_stopping",
          "OverfitEarlyStoppingPanel", "patience epoch validation loss gradient descent "
          "restore best weights"),
    Entry("overfit_crossval", "k-fold cross-validation", "Overfitting", "overfit_crossval",
          "OverfitCrossValPanel", "k-fold KFold folds held out model selection degree "
          "mean spread test set"),
    Entry("overfit_learning_curve", "More data: the learning curve", "Overfitting",
          "overfit_learning_curve", "OverfitLearningCurvePanel", "learning curve training set "
          "size more data bias variance gap"),
    Entry("overfit_classes", "Overfitting in 2-D", "Overfitting", "overfit_classes",
          "OverfitClassesPanel", "decision tree depth classification regions validation "
          "accuracy test split underfit overfit complexity"),
    Entry("cnn", "A CNN reads your digits", "Deep networks", "cnn", "CNNPanel",
          "convolutional neural network CNN conv layer filters feature maps pooling ReLU "
          "softmax digits MNIST handwriting draw weights"),
    Entry("recurrent", "RNN vs LSTM: remembering", "Deep networks", "recurrent",
          "RecurrentPanel", "RNN LSTM recurrent sequence memory gates forget input output "
          "cell state BPTT backpropagation through time vanishing gradient tanh"),
    Entry("resnet", "ResNet: shortcuts keep the gradient", "Deep networks", "resnet",
          "ResNetPanel", "residual network skip connection identity shortcut projection "
          "vanishing gradient deep plain stack"),
    Entry("yolo_loss", "YOLO's loss, cell by cell", "Deep networks", "yolo_loss",
          "YoloLossPanel", "YOLO object detection loss grid cell bounding box IoU responsible "
          "predictor confidence objectness lambda coord noobj class probabilities"),
    Entry("multitask", "Multi-task: hard and soft sharing", "Deep networks", "multitask",
          "MultitaskPanel", "multi-task learning MTL hard parameter sharing soft parameter "
          "sharing trunk heads towers L2 penalty lambda auxiliary tasks"),
]
# The sidebar's order; unknown topics go last.
TOPICS = ("Unsupervised learning", "Supervised learning", "Neural network basics",
          "Neural networks", "Deep networks", "Optimization", "Overfitting",
          "Computer vision")


def by_id(panel_id: str) -> Entry:
    for entry in PANELS:
        if entry.id == panel_id:
            return entry
    known = ", ".join(p.id for p in PANELS)
    raise KeyError(f"unknown panel '{panel_id}'; the panels are: {known}")


def panel_class(panel_id: str) -> type:
    return by_id(panel_id).load()


def grouped() -> list[tuple[str, list[Entry]]]:
    """Panels grouped by topic, in sidebar order."""
    topics = list(TOPICS) + sorted({p.topic for p in PANELS} - set(TOPICS))
    return [(t, [p for p in PANELS if p.topic == t]) for t in topics
            if any(p.topic == t for p in PANELS)]
