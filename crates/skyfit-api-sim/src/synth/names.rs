//! Static vocabularies for realistic Brazilian gym / CRM / support data.

/// Given names.
pub const FIRST: &[&str] = &[
    "Ana",
    "João",
    "Maria",
    "Pedro",
    "Lucas",
    "Juliana",
    "Gabriel",
    "Fernanda",
    "Rafael",
    "Camila",
    "Bruno",
    "Larissa",
    "Mateus",
    "Beatriz",
    "Gustavo",
    "Letícia",
    "Felipe",
    "Amanda",
    "Thiago",
    "Mariana",
    "Rodrigo",
    "Patrícia",
    "Diego",
    "Aline",
    "Vinícius",
    "Carla",
    "Eduardo",
    "Bianca",
    "Leonardo",
    "Jéssica",
    "André",
    "Natália",
    "Marcelo",
    "Renata",
    "Caio",
    "Tatiane",
];

/// Family names.
pub const LAST: &[&str] = &[
    "Silva",
    "Santos",
    "Oliveira",
    "Souza",
    "Rodrigues",
    "Ferreira",
    "Alves",
    "Pereira",
    "Lima",
    "Gomes",
    "Costa",
    "Ribeiro",
    "Martins",
    "Carvalho",
    "Almeida",
    "Lopes",
    "Soares",
    "Fernandes",
    "Vieira",
    "Barbosa",
    "Rocha",
    "Dias",
    "Nascimento",
    "Andrade",
    "Moreira",
    "Nunes",
    "Marques",
    "Machado",
    "Mendes",
    "Freitas",
    "Cardoso",
    "Ramos",
    "Gonçalves",
    "Teixeira",
    "D'Ávila",
];

/// (city, state abbreviation) pairs where the gyms are.
pub const CITIES: &[(&str, &str)] = &[
    ("São Paulo", "SP"),
    ("Campinas", "SP"),
    ("Santos", "SP"),
    ("Sorocaba", "SP"),
    ("Rio de Janeiro", "RJ"),
    ("Niterói", "RJ"),
    ("Belo Horizonte", "MG"),
    ("Uberlândia", "MG"),
    ("Curitiba", "PR"),
    ("Londrina", "PR"),
    ("Goiânia", "GO"),
    ("Brasília", "DF"),
    ("Salvador", "BA"),
    ("Recife", "PE"),
    ("Fortaleza", "CE"),
    ("Manaus", "AM"),
];

/// Neighbourhoods (also used to name branches).
pub const NEIGHBORHOODS: &[&str] = &[
    "Centro",
    "Moema",
    "Pinheiros",
    "Tatuapé",
    "Vila Mariana",
    "Santana",
    "Mooca",
    "Lapa",
    "Barra",
    "Copacabana",
    "Savassi",
    "Batel",
    "Setor Bueno",
    "Asa Sul",
    "Boa Viagem",
    "Aldeota",
    "Itaim Bibi",
    "Perdizes",
    "Butantã",
    "Ipiranga",
];

/// Street names.
pub const STREETS: &[&str] = &[
    "Rua das Flores",
    "Avenida Paulista",
    "Rua Augusta",
    "Avenida Brasil",
    "Rua XV de Novembro",
    "Rua Sete de Setembro",
    "Avenida Atlântica",
    "Rua da Consolação",
    "Alameda Santos",
    "Rua Bahia",
    "Avenida Getúlio Vargas",
];

/// Membership plans (name, monthly price in cents).
pub const PLANS: &[(&str, i64)] = &[
    ("Plano Smart Mensal", 9_990),
    ("Plano Black Recorrente", 14_990),
    ("Plano Fit Anual", 8_990),
    ("Plano Diamond", 19_990),
    ("Plano Estudante", 7_990),
    ("Plano Família", 24_990),
    ("Plano Day Use", 2_500),
];

/// Employee roles.
pub const JOBS: &[&str] = &[
    "Recepcionista",
    "Professor",
    "Personal Trainer",
    "Consultor de Vendas",
    "Gerente",
    "Coordenador",
];

/// E-mail domains.
pub const DOMAINS: &[&str] = &[
    "gmail.com",
    "hotmail.com",
    "outlook.com",
    "yahoo.com.br",
    "uol.com.br",
];

/// Company suffixes for Pipedrive organisations.
pub const COMPANY: &[&str] = &[
    "Ltda",
    "S.A.",
    "Academias",
    "Fitness",
    "Participações",
    "Empreendimentos",
    "Investimentos",
];

/// Zendesk ticket subjects.
pub const SUBJECTS: &[&str] = &[
    "Cancelamento de plano",
    "Cobrança duplicada",
    "Problema no app",
    "Catraca não libera",
    "Dúvida sobre plano",
    "Troca de unidade",
    "Reembolso",
    "Agendamento de aula",
    "Congelamento de matrícula",
    "Elogio ao professor",
    "Reclamação sobre limpeza",
    "Acesso bloqueado",
];

/// Zendesk tags.
pub const TAGS: &[&str] = &[
    "cancelamento",
    "cobranca",
    "app",
    "catraca",
    "plano",
    "unidade",
    "reembolso",
    "aula",
    "congelamento",
    "elogio",
    "reclamacao",
    "acesso",
    "urgente",
    "vip",
];
