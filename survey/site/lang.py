"""Words of the site in each language. Chinese is the site's first language."""

from __future__ import annotations

from functools import cache

from babel import Locale
from babel.core import UnknownLocaleError

LANGS = ("zh", "en")

_WORDS: dict[str, tuple[str, str]] = {
    # kinds (singular, used for headings of lists)
    "kind.model": ("模型", "Models"),
    "kind.project": ("项目", "Projects"),
    "kind.dataset": ("数据集", "Data sets"),
    "kind.organization": ("机构", "Organizations"),
    "kind.framework": ("框架与工具", "Frameworks and tools"),
    "kind.evaluation": ("评测", "Evaluations"),
    "kind.experiment": ("训练实验", "Experiments"),
    "kind.concept": ("概念", "Concepts"),
    "kind.recipe": ("训练配方", "Recipes"),
    # the survey's table
    "open.code": ("开源代码", "Open code"),
    "open.data": ("开源数据", "Open data"),
    "open.weights": ("开源权重", "Open weights"),
    "training.data": ("训练数据量", "Training data"),
    "parameters": ("参数量", "Parameters"),
    "training.hardware": ("训练设备", "Hardware"),
    "training.time": ("训练时长", "Training time"),
    "training.cost": ("训练成本", "Cost"),
    "training.compute": ("算力", "Compute"),
    "training.framework": ("训练框架", "Framework"),
    "status.yes": ("是", "yes"),
    "status.no": ("否", "no"),
    "status.partial": ("部分", "partial"),
    "status.unknown": ("未知", "unknown"),
    "unknown": ("未知", "unknown"),
    "as_surveyed": ("调研原表", "survey's cell"),
    "field": ("项", "Field"),
    "value": ("值", "Value"),
    "note": ("说明", "Note"),
    # sections
    "summary": ("简介", "Summary"),
    "facts": ("基本信息", "Facts"),
    "survey_table": ("调研表", "The survey's table"),
    "sizes": ("各尺寸", "Sizes"),
    "lineage.up": ("基于", "Built on"),
    "lineage.down": ("衍生模型", "Models built on it"),
    "datasets": ("数据集", "Data sets"),
    "datasets.generated": ("用它生成的数据集", "Data sets generated with it"),
    "evaluations": ("评测", "Evaluations"),
    "experiments": ("训练实验", "Experiments"),
    "notes": ("备注", "Notes"),
    "sources": ("来源", "Sources"),
    "referenced_by": ("被引用", "Referenced by"),
    "models_of_project": ("项目发布的模型", "Models of this project"),
    "other_fields": ("其他字段", "Other fields"),
    "aliases": ("别名", "Also known as"),
    "organizations": ("机构", "Organizations"),
    "project": ("项目", "Project"),
    "released": ("发布日期", "Released"),
    "published": ("发表日期", "Published"),
    "license": ("许可证", "License"),
    "languages": ("语言", "Languages"),
    "architecture": ("架构", "Architecture"),
    "links": ("链接", "Links"),
    "relation": ("关系", "Relation"),
    "stage": ("阶段", "Stage"),
    "name": ("名称", "Name"),
    "year": ("年份", "Year"),
    "family": ("基座家族", "Base family"),
    "size_range": ("参数规模", "Size"),
    "all": ("全部", "all"),
    "shown": ("显示", "showing"),
    "of": ("/", "of"),
    "reset": ("重置", "Reset"),
    "subject": ("对象", "Subject"),
    "versus": ("对比", "Versus"),
    "score": ("得分", "Score"),
    "win_tie_lose": ("胜/平/负", "Win/tie/lose"),
    "time": ("时长", "Time"),
    "cost": ("成本", "Cost"),
    "hardware": ("设备", "Hardware"),
    "not_in_catalog": ("（目录中暂无此卡片）", "(no card in the catalog yet)"),
    "count": ("数量", "Count"),
    "card": ("卡片", "Card"),
    "kind": ("类别", "Kind"),
    "filled": ("已填字段", "Fields filled"),
    "sourced": ("有来源的数值", "Values with a source"),
    "primary": ("一手来源", "Primary source"),
    "missing": ("缺少", "missing"),
    "yes": ("有", "yes"),
    "no": ("无", "no"),
    # charts
    "family.other": ("其他家族", "other families"),
    "scroll.chart": ("左右滑动查看完整的图", "Scroll sideways for the whole chart"),
    "colour.by": ("颜色表示：", "Colour by:"),
    "colour.family": ("基座家族", "base family"),
    "colour.open": ("权重开源情况", "open weights"),
    # sharing and citing
    "site_name": ("小羊驼模型调研", "Small-alpaca survey"),
    "site_description": (
        "开源“小羊驼”类大语言模型调研：LLaMA、Alpaca、Vicuna、ChatGLM-6B、MOSS、Dolly、BELLE 等，以数据形式保存，每个数值注明出处。",
        "A survey of open \"small alpaca\" LLMs (LLaMA, Alpaca, Vicuna, ChatGLM-6B, MOSS, Dolly, BELLE…), kept as data with a source for every number.",
    ),
    "kind_page.description": ("目录中的全部{kind}，每个一行。", "Every card of this kind in the catalog: {kind}."),
    "contributors": ("小羊驼模型调研的贡献者", "Small-alpaca survey contributors"),
    "last_changed": ("最后修改", "Last changed"),
    "edit_card": ("编辑此卡片", "Edit this card"),
    "cite": ("引用", "Cite"),
    "cite.whole": (
        "引用整个调研请用仓库根目录的 {file}（GitHub 页面上的 “Cite this repository” 按钮读取它）。",
        "To cite the whole survey, use {file} at the repository's root (GitHub's “Cite this repository” button reads it).",
    ),
}

RELATIONS = {
    "continued-pretraining": ("继续预训练", "continued pre-training"),
    "full-fine-tune": ("全参数微调", "full fine-tune"),
    "lora": ("LoRA 微调", "LoRA"),
    "p-tuning": ("P-Tuning", "P-Tuning"),
    "rlhf": ("RLHF", "RLHF"),
    "reward-model": ("奖励模型", "reward model"),
    "quantization": ("量化", "quantization"),
}

UNITS = {
    "parameters": ("", ""),
    "tokens": ("tokens", "tokens"),
    "examples": ("条样本", "examples"),
    "conversations": ("段对话", "conversations"),
    "messages": ("条消息", "messages"),
    "bytes": ("字节", "bytes"),
    "words": ("词", "words"),
    "pairs": ("对", "pairs"),
    "hours-audio": ("小时音频", "hours of audio"),
    "minutes": ("分钟", "minutes"),
    "hours": ("小时", "hours"),
    "days": ("天", "days"),
    "weeks": ("周", "weeks"),
    "months": ("个月", "months"),
    "USD": ("美元", "USD"),
    "CNY": ("元", "CNY"),
    "flops": ("FLOPs", "FLOPs"),
    "gpu-hours": ("GPU 小时", "GPU hours"),
    "percent": ("%", "%"),
}


def word(key: str, lang: str) -> str:
    pair = _WORDS.get(key)
    if pair is None:
        if key.startswith("kind."):
            return key.removeprefix("kind.").replace("-", " ").capitalize()
        return key
    return pair[LANGS.index(lang)]


def pick(pair: tuple[str, str], lang: str) -> str:
    return pair[LANGS.index(lang)]


# Field names of the card schema, as readers see them. Every field of every kind needs an entry
# (tests/test_site_render.py checks this against the schema), so no page shows a raw `made_by`.
FIELDS: dict[str, tuple[str, str]] = {
    "adam_beta1": ("Adam β1", "Adam β1"),
    "adam_beta2": ("Adam β2", "Adam β2"),
    "adam_epsilon": ("Adam ε", "Adam ε"),
    "add_eos": ("末尾加 EOS", "Append EOS"),
    "add_special_tokens": ("新增特殊记号", "Added special tokens"),
    "aliases": ("别名", "Also known as"),
    "alpha": ("LoRA α", "LoRA alpha"),
    "amount": ("数量", "Amount"),
    "approx": ("约数", "Approximate"),
    "architecture": ("架构", "Architecture"),
    "as_surveyed": ("调研原表", "Survey's cell"),
    "base": ("基座模型", "Base model"),
    "base_model": ("基座模型", "Base model"),
    "bias": ("偏置", "Bias"),
    "blog": ("博客", "Blog"),
    "built_on": ("基于", "Built on"),
    "categories": ("类别数", "Categories"),
    "category_field": ("类别字段", "Category field"),
    "checkpoint_steps": ("检查点步数", "Checkpoint steps"),
    "code": ("代码", "Code"),
    "compared_with": ("对比模型", "Compared with"),
    "compute": ("算力", "Compute"),
    "config": ("配置", "Config"),
    "construction": ("构建方法", "How it was built"),
    "cost": ("成本", "Cost"),
    "count": ("数量", "Count"),
    "country": ("国家/地区", "Country"),
    "data": ("数据", "Data"),
    "dataset": ("数据集", "Data set"),
    "datasets": ("数据集", "Data sets"),
    "date": ("日期", "Date"),
    "deepspeed": ("DeepSpeed 配置", "DeepSpeed config"),
    "demo": ("演示", "Demo"),
    "derived_from": ("来源数据集", "Derived from"),
    "details": ("详细说明", "Details"),
    "deviations": ("与原始训练的差异", "Deviations from the original"),
    "devices": ("设备数", "Devices"),
    "dialogue": ("对话轮次", "Dialogue"),
    "distributed": ("分布式策略", "Distributed training"),
    "document": ("文档", "Document"),
    "documentation": ("文档", "Documentation"),
    "dropout": ("Dropout", "Dropout"),
    "en": ("英文", "English"),
    "epochs": ("训练轮数", "Epochs"),
    "experiment": ("训练实验", "Experiment"),
    "family": ("模型家族", "Family"),
    "file": ("文件", "File"),
    "format": ("格式", "Format"),
    "framework": ("框架", "Framework"),
    "frameworks": ("框架", "Frameworks"),
    "fsdp": ("FSDP 选项", "FSDP option"),
    "generated_with": ("生成所用模型", "Generated with"),
    "global_batch_size": ("全局批大小", "Global batch size"),
    "gradient_accumulation_steps": ("梯度累积步数", "Gradient accumulation steps"),
    "gradient_checkpointing": ("梯度检查点", "Gradient checkpointing"),
    "hardware": ("训练设备", "Hardware"),
    "heads": ("注意力头数", "Attention heads"),
    "hidden": ("隐藏层维度", "Hidden size"),
    "hub": ("Hugging Face Hub", "Hugging Face Hub"),
    "hyperparameters": ("超参数", "Hyperparameters"),
    "id": ("标识", "Id"),
    "included": ("是否使用", "Included"),
    "intermediate": ("前馈层维度", "Intermediate size"),
    "kind": ("类别", "Kind"),
    "kv_heads": ("KV 头数", "KV heads"),
    "label": ("标签", "Label"),
    "languages": ("语言", "Languages"),
    "launch": ("原始启动命令", "Original launch command"),
    "layers": ("层数", "Layers"),
    "learning_rate": ("学习率", "Learning rate"),
    "license": ("许可证", "License"),
    "lineage": ("基于", "Built on"),
    "links": ("链接", "Links"),
    "load_in_8bit": ("8 位加载", "Loaded in 8 bits"),
    "logging_steps": ("日志间隔步数", "Logging steps"),
    "lora": ("LoRA 配置", "LoRA config"),
    "lose": ("负", "Lose"),
    "made_by": ("制作者", "Made by"),
    "masking": ("损失掩码", "Loss masking"),
    "max": ("最大", "Max"),
    "max_examples": ("最多样本数", "Max examples"),
    "max_grad_norm": ("梯度裁剪", "Max gradient norm"),
    "max_length": ("最大长度", "Max length"),
    "max_steps": ("最多步数", "Max steps"),
    "method": ("方法", "Method"),
    "min": ("最小", "Min"),
    "model": ("模型", "Model"),
    "name": ("名称", "Name"),
    "note": ("说明", "Note"),
    "notes": ("备注", "Notes"),
    "open": ("开源情况", "Openness"),
    "optimizer": ("优化器", "Optimizer"),
    "organizations": ("机构", "Organizations"),
    "outcome": ("结果", "Outcome"),
    "pad": ("填充记号", "Padding token"),
    "padding_side": ("填充方向", "Padding side"),
    "paper": ("论文", "Paper"),
    "parameters": ("参数量", "Parameters"),
    "per_category": ("每类样本数", "Per category"),
    "per_device_batch_size": ("单卡批大小", "Per-device batch size"),
    "precision": ("精度", "Precision"),
    "project": ("项目", "Project"),
    "published": ("发表日期", "Published"),
    "purposes": ("用途", "Purposes"),
    "r": ("LoRA 秩", "LoRA rank"),
    "recipes": ("复现配方", "Recipes"),
    "related": ("相关概念", "Related"),
    "relation": ("关系", "Relation"),
    "released": ("发布日期", "Released"),
    "repo": ("仓库", "Repository"),
    "repository": ("代码仓库", "Repository"),
    "results": ("结果", "Results"),
    "revision": ("版本", "Revision"),
    "sampling": ("抽样方式", "Sampling"),
    "save_steps": ("保存间隔步数", "Save steps"),
    "scheduler": ("学习率调度", "Scheduler"),
    "score": ("得分", "Score"),
    "seed": ("随机种子", "Seed"),
    "sha256": ("SHA-256", "SHA-256"),
    "shape": ("模型形状", "Shape"),
    "size": ("规模", "Size"),
    "sizes": ("各尺寸", "Sizes"),
    "source": ("来源", "Source"),
    "sources": ("来源", "Sources"),
    "split": ("划分", "Split"),
    "stage": ("阶段", "Stage"),
    "status": ("状态", "Status"),
    "strategy": ("策略", "Strategy"),
    "subject": ("对象", "Subject"),
    "summary": ("简介", "Summary"),
    "supervised": ("计算损失的部分", "Supervised tokens"),
    "supports": ("支持的模型", "Supported models"),
    "system": ("系统提示", "System prompt"),
    "system_prompt": ("系统提示", "System prompt"),
    "tables": ("表格", "Tables"),
    "target_modules": ("目标模块", "Target modules"),
    "template": ("提示模板", "Prompt template"),
    "terms": ("术语", "Terms"),
    "text": ("原文", "Text"),
    "tf32": ("TF32", "TF32"),
    "tie": ("平", "Tie"),
    "time": ("时长", "Time"),
    "title": ("标题", "Title"),
    "tokenizer": ("分词器", "Tokenizer"),
    "topic": ("方面", "Topic"),
    "training": ("训练", "Training"),
    "trust_remote_code": ("信任远程代码", "Trust remote code"),
    "type": ("类型", "Type"),
    "unit": ("单位", "Unit"),
    "unknown": ("未知", "Unknown"),
    "url": ("地址", "URL"),
    "use_fast": ("快速分词器", "Fast tokenizer"),
    "used_by_original": ("原始训练所用", "Used by the original"),
    "uses": ("用途", "Uses"),
    "val_examples": ("验证集样本数", "Validation examples"),
    "val_split": ("验证集比例", "Validation share"),
    "value": ("数值", "Value"),
    "versus": ("对比", "Versus"),
    "vocab": ("词表大小", "Vocabulary"),
    "warmup_ratio": ("预热比例", "Warm-up ratio"),
    "warmup_steps": ("预热步数", "Warm-up steps"),
    "website": ("网站", "Website"),
    "weight_decay": ("权重衰减", "Weight decay"),
    "weights": ("权重", "Weights"),
    "win": ("胜", "Win"),
    "zero_stage": ("ZeRO 阶段", "ZeRO stage"),
    "zh": ("中文", "Chinese"),
}

# Enumerated values (source kinds, organization types, data set methods, stages…) as readers see them.
VALUES: dict[str, tuple[str, str]] = {
    # source kinds
    "survey": ("调研原表", "survey"),
    "paper": ("论文", "paper"),
    "repository": ("代码仓库", "repository"),
    "model-card": ("模型卡片", "model card"),
    "dataset-card": ("数据集卡片", "dataset card"),
    "blog": ("博客", "blog"),
    "website": ("网站", "website"),
    "documentation": ("文档", "documentation"),
    "report": ("报告", "report"),
    "leaderboard": ("排行榜", "leaderboard"),
    "issue": ("议题", "issue"),
    "unpublished": ("未发表笔记", "unpublished notes"),
    # organization types
    "company": ("公司", "company"),
    "university": ("大学", "university"),
    "research-lab": ("研究机构", "research lab"),
    "community": ("社区", "community"),
    "individual": ("个人", "individual"),
    "government": ("政府机构", "government"),
    # data set methods
    "human-written": ("人工撰写", "human-written"),
    "model-generated": ("模型生成", "model-generated"),
    "crawled": ("网络抓取", "crawled"),
    "curated": ("人工筛选", "curated"),
    "translated": ("翻译", "translated"),
    "derived": ("由其他数据集派生", "derived"),
    "mixed": ("混合", "mixed"),
    # data set formats
    "plain-text": ("纯文本", "plain text"),
    "pairwise": ("成对比较", "pairwise"),
    "parallel-text": ("平行语料", "parallel text"),
    "other": ("其他", "other"),
    # uses and stages
    "pretraining": ("预训练", "pre-training"),
    "continued-pretraining": ("继续预训练", "continued pre-training"),
    "instruction-tuning": ("指令微调", "instruction tuning"),
    "dialogue-tuning": ("对话微调", "dialogue tuning"),
    "rlhf": ("RLHF", "RLHF"),
    "reward-model": ("奖励模型", "reward model"),
    "evaluation": ("评测", "evaluation"),
    "translation": ("翻译", "translation"),
    "full-sft": ("全参数监督微调", "full SFT"),
    "lora-sft": ("LoRA 监督微调", "LoRA SFT"),
    "single-turn": ("单轮", "single-turn"),
    "multi-turn": ("多轮", "multi-turn"),
    # framework purposes
    "distributed-training": ("分布式训练", "distributed training"),
    "fine-tuning": ("微调", "fine-tuning"),
    "parameter-efficient-tuning": ("参数高效微调", "parameter-efficient tuning"),
    "inference": ("推理", "inference"),
    "retrieval-augmentation": ("检索增强", "retrieval augmentation"),
    "agents": ("智能体", "agents"),
    "data-generation": ("数据生成", "data generation"),
    "serving": ("部署服务", "serving"),
    # evaluation methods
    "gpt4-judge": ("GPT-4 评判", "GPT-4 as judge"),
    "human-preference": ("人工偏好", "human preference"),
    "benchmark": ("基准测试", "benchmark"),
    "time-and-cost": ("时间与成本", "time and cost"),
    # the catalog's language tags that are not language codes (codes are named by `language_name`)
    "multilingual": ("多语言", "multilingual"),
    "code": ("代码", "code"),
    # recipes
    "response": ("只计回答", "response only"),
    "everything": ("全部文本", "everything"),
    "assistant-turns": ("助手的各轮回答", "assistant turns"),
    "add-pad-mean-init": ("新增 [PAD]，嵌入取均值初始化", "add [PAD], mean-initialised"),
    "unk": ("用 UNK", "UNK"),
    "eos": ("用 EOS", "EOS"),
    "existing": ("沿用已有的", "existing"),
    "unk-id-0": ("用 UNK（id 0）", "UNK (id 0)"),
    "left": ("左侧", "left"),
    "right": ("右侧", "right"),
    "deepspeed": ("DeepSpeed", "DeepSpeed"),
    "fsdp": ("FSDP", "FSDP"),
    "ddp": ("DDP（数据并行）", "DDP (data parallel)"),
    "single": ("单卡", "single device"),
    "model-parallel": ("模型并行", "model parallel"),
}


@cache
def _language_names(lang: str) -> dict[str, str]:
    return dict(Locale.parse(lang).languages)


def language_name(code: str, lang: str) -> str:
    """A card's language code (`bg`, `zh-Hant`) by name in the page's language (CLDR's names, through
    Babel); the catalog's own tags (`multilingual`, `code`) from VALUES; anything else as written."""
    try:
        name = _language_names(lang).get(code.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        name = None
    if name:
        return name
    return value_label(code, lang)


def field_label(name: str, lang: str) -> str:
    """A schema field's name as readers see it (a new field without an entry shows humanised)."""
    pair = FIELDS.get(name)
    if pair is not None:
        return pair[LANGS.index(lang)]
    return name.replace("_", " ").capitalize()


def value_label(value: str, lang: str) -> str:
    """An enumerated value (`model-generated`, `research-lab`…) in the page's language; other text unchanged."""
    pair = VALUES.get(value)
    return pair[LANGS.index(lang)] if pair else value
