//! Built-in provider presets: base URLs, key variables, known models and quirks of the
//! providers llmux knows by name. A preset is switched on by its API key variable.

use crate::ProviderKind;

/// Behaviour differences between OpenAI-compatible hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quirks {
    /// The host honours `stream_options.include_usage`, so llmux may ask for usage in streams.
    pub stream_usage: bool,
    /// Apply OpenAI's reasoning-model parameter rules (o-series, gpt-5).
    pub reasoning_params: bool,
}

impl Quirks {
    /// Quirks of a generic OpenAI-compatible host (vLLM, LM Studio, llama.cpp, LiteLLM, ...).
    pub const COMPATIBLE: Quirks = Quirks {
        stream_usage: true,
        reasoning_params: false,
    };
}

/// A provider llmux knows by name.
#[derive(Debug, Clone, Copy)]
pub struct Preset {
    /// Provider id, also the `preset:` name in the configuration.
    pub id: &'static str,
    /// Human name for the start-up summary.
    pub name: &'static str,
    /// API family.
    pub kind: ProviderKind,
    /// Default base URL (OpenAI family: up to and including `/v1` or its equivalent).
    pub base_url: &'static str,
    /// Environment variables holding the API key, first found wins. Each also works as
    /// `<VAR>_FILE`, naming a file that holds the key.
    pub key_env: &'static [&'static str],
    /// Models known to exist at this provider; config `models:` replaces the list.
    pub models: &'static [&'static str],
    /// Host quirks.
    pub quirks: Quirks,
}

const fn compat(stream_usage: bool) -> Quirks {
    Quirks {
        stream_usage,
        reasoning_params: false,
    }
}

/// Every built-in preset, in the order the start-up summary lists them.
pub const PRESETS: &[Preset] = &[
    Preset {
        id: "openai",
        name: "OpenAI",
        kind: ProviderKind::OpenAi,
        base_url: "https://api.openai.com/v1",
        key_env: &["OPENAI_API_KEY"],
        models: &[
            "gpt-6.2-sol",
            "gpt-6.2-astra",
            "gpt-6-sol",
            "gpt-6-luna",
            "gpt-5.5",
            "gpt-5.4",
            "gpt-5.4-mini",
            "gpt-5.4-nano",
            "gpt-4.1",
            "gpt-4.1-mini",
            "gpt-4o",
            "gpt-4o-mini",
            "o3",
            "o4-mini",
            "text-embedding-3-small",
            "text-embedding-3-large",
        ],
        quirks: Quirks {
            stream_usage: true,
            reasoning_params: true,
        },
    },
    Preset {
        id: "anthropic",
        name: "Anthropic",
        kind: ProviderKind::Anthropic,
        base_url: "https://api.anthropic.com/v1",
        key_env: &["ANTHROPIC_API_KEY"],
        models: &[
            "claude-opus-5-5",
            "claude-sonnet-5-5",
            "claude-haiku-5-5",
            "claude-opus-5",
            "claude-sonnet-5",
            "claude-haiku-4-5",
        ],
        quirks: compat(false),
    },
    Preset {
        id: "gemini",
        name: "Google Gemini",
        kind: ProviderKind::Gemini,
        base_url: "https://generativelanguage.googleapis.com/v1beta",
        key_env: &["GEMINI_API_KEY", "GOOGLE_API_KEY"],
        models: &[
            "gemini-2.5-pro",
            "gemini-2.5-flash",
            "gemini-2.5-flash-lite",
            "gemini-embedding-001",
        ],
        quirks: compat(false),
    },
    Preset {
        id: "groq",
        name: "Groq",
        kind: ProviderKind::OpenAiCompatible,
        base_url: "https://api.groq.com/openai/v1",
        key_env: &["GROQ_API_KEY"],
        models: &["llama-3.3-70b-versatile", "llama-3.1-8b-instant"],
        quirks: compat(true),
    },
    Preset {
        id: "together",
        name: "Together AI",
        kind: ProviderKind::OpenAiCompatible,
        base_url: "https://api.together.xyz/v1",
        key_env: &["TOGETHER_API_KEY"],
        models: &["meta-llama/Llama-3.3-70B-Instruct-Turbo"],
        quirks: compat(true),
    },
    Preset {
        id: "mistral",
        name: "Mistral",
        kind: ProviderKind::OpenAiCompatible,
        base_url: "https://api.mistral.ai/v1",
        key_env: &["MISTRAL_API_KEY"],
        models: &[
            "mistral-large-latest",
            "mistral-small-latest",
            "codestral-latest",
            "mistral-embed",
        ],
        // Mistral rejects unknown fields and reports usage in the last chunk anyway.
        quirks: compat(false),
    },
    Preset {
        id: "deepseek",
        name: "DeepSeek",
        kind: ProviderKind::OpenAiCompatible,
        base_url: "https://api.deepseek.com/v1",
        key_env: &["DEEPSEEK_API_KEY"],
        models: &["deepseek-chat", "deepseek-reasoner"],
        quirks: compat(true),
    },
    Preset {
        id: "xai",
        name: "xAI",
        kind: ProviderKind::OpenAiCompatible,
        base_url: "https://api.x.ai/v1",
        key_env: &["XAI_API_KEY"],
        models: &["grok-4", "grok-3", "grok-3-mini"],
        quirks: compat(true),
    },
    Preset {
        id: "perplexity",
        name: "Perplexity",
        kind: ProviderKind::OpenAiCompatible,
        base_url: "https://api.perplexity.ai",
        key_env: &["PERPLEXITY_API_KEY"],
        models: &[
            "sonar",
            "sonar-pro",
            "sonar-reasoning",
            "sonar-reasoning-pro",
        ],
        quirks: compat(false),
    },
    Preset {
        id: "openrouter",
        name: "OpenRouter",
        kind: ProviderKind::OpenAiCompatible,
        base_url: "https://openrouter.ai/api/v1",
        key_env: &["OPENROUTER_API_KEY"],
        models: &[],
        quirks: compat(true),
    },
    Preset {
        id: "fireworks",
        name: "Fireworks AI",
        kind: ProviderKind::OpenAiCompatible,
        base_url: "https://api.fireworks.ai/inference/v1",
        key_env: &["FIREWORKS_API_KEY"],
        models: &["accounts/fireworks/models/llama-v3p3-70b-instruct"],
        quirks: compat(true),
    },
    Preset {
        id: "sambanova",
        name: "SambaNova",
        kind: ProviderKind::OpenAiCompatible,
        base_url: "https://api.sambanova.ai/v1",
        key_env: &["SAMBANOVA_API_KEY"],
        models: &["Meta-Llama-3.3-70B-Instruct", "DeepSeek-R1"],
        quirks: compat(false),
    },
    Preset {
        id: "azure",
        name: "Azure OpenAI",
        kind: ProviderKind::Azure,
        // The resource endpoint comes from AZURE_OPENAI_ENDPOINT.
        base_url: "",
        key_env: &["AZURE_OPENAI_API_KEY"],
        models: &[],
        quirks: Quirks {
            stream_usage: true,
            reasoning_params: true,
        },
    },
];

/// The preset named `id`.
pub fn find(id: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_urls_are_https() {
        let mut ids: Vec<_> = PRESETS.iter().map(|p| p.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), PRESETS.len());
        for p in PRESETS {
            assert!(
                p.base_url.is_empty() || p.base_url.starts_with("https://"),
                "{}",
                p.id
            );
            assert!(!p.base_url.ends_with('/'), "{}", p.id);
            assert!(!p.key_env.is_empty(), "{}", p.id);
        }
    }

    #[test]
    fn openai_compatible_family_is_complete() {
        for id in [
            "openai",
            "groq",
            "together",
            "mistral",
            "deepseek",
            "xai",
            "perplexity",
            "openrouter",
            "fireworks",
            "sambanova",
            "azure",
            "anthropic",
            "gemini",
        ] {
            assert!(find(id).is_some(), "{id}");
        }
    }
}
